from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "events.maintenance"
    label = "maintenance"
    verbose_name = "Maintenance"
