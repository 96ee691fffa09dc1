from django.db import migrations


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("cms.HomePage")
    Locale = apps.get_model("wagtailcore.Locale")

    # Wagtail's own first migration leaves a welcome page; ours takes its place.
    Page.objects.filter(id=2).delete()
    content_type, _ = ContentType.objects.get_or_create(model="homepage", app_label="cms")
    home = HomePage.objects.create(
        title="议事 · 社区居民协商平台",
        draft_title="议事 · 社区居民协商平台",
        slug="home",
        content_type=content_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        locale=Locale.objects.get_or_create(language_code="zh-hans")[0],
        intro="<p>在这里，居民在线参与楼栋、小区和社区议事会，业主依法表决，共同制定居民公约和小区家规，"
        "社区党务、居务、财务全过程公开。</p>",
    )
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )


def remove_homepage(apps, schema_editor):
    apps.get_model("cms.HomePage").objects.filter(slug="home", depth=2).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0001_initial"),
        # Deleting the welcome page cascades into these apps' tables.
        ("wagtailcore", "__latest__"),
        ("wagtailsearch", "__latest__"),
        ("wagtailforms", "__latest__"),
        ("wagtailredirects", "__latest__"),
        ("wagtailadmin", "__latest__"),
    ]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]
