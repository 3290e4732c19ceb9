from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _sync_roles(sender, **kwargs):
    # post_migrate is sent once per app with models, in INSTALLED_APPS order, and each app's permissions
    # are created on its own turn: the last such app's turn is the first moment all of them exist.
    if sender is not [config for config in apps.get_app_configs() if config.models_module][-1]:
        return
    from carecrm.roles import roles_sync

    roles_sync(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class CarecrmConfig(AppConfig):
    name = "carecrm"
    verbose_name = "CareCRM"

    def ready(self):
        post_migrate.connect(_sync_roles, dispatch_uid="carecrm.roles_sync")
