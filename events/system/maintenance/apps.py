from django.apps import AppConfig


class MaintenanceConfig(AppConfig):
    name = "events.system.maintenance"
    label = "maintenance"
    verbose_name = "Maintenance"
