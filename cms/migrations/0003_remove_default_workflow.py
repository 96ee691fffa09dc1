from django.db import migrations


def remove_wagtail_defaults(apps, schema_editor):
    """Wagtail starts with a "Moderators approval" workflow on the whole tree and two
    site-wide groups, Moderators and Editors, with page rights from the root. Here every
    right comes from a role in one community: disclosures need the approval of their own
    community's supervisory committee, notices are published by the committee at once."""
    apps.get_model("wagtailcore.WorkflowPage").objects.filter(page_id=1).delete()
    apps.get_model("auth.Group").objects.filter(
        name__in=["Moderators", "Editors"], role_group__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_create_homepage"),
        ("wagtailcore", "__latest__"),
        ("deliberation", "0001_initial"),
    ]

    operations = [migrations.RunPython(remove_wagtail_defaults, migrations.RunPython.noop)]
