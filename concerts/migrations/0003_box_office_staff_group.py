from django.db import migrations

from concerts.permissions import create_box_office_staff_group, remove_box_office_staff_group


class Migration(migrations.Migration):
    dependencies = [
        ("concerts", "0002_field_validation"),
        ("bookings", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_box_office_staff_group, remove_box_office_staff_group),
    ]
