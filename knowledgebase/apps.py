from django.apps import AppConfig


class KnowledgebaseConfig(AppConfig):
    name = "knowledgebase"
    verbose_name = "Knowledge base"

    def ready(self):
        from carecrm import demo, jobs
        from knowledgebase import demo as kb_demo
        from knowledgebase import services

        jobs.register("kb_deflections", services.deflections_settle, order=40)
        demo.register("knowledgebase", kb_demo.articles_seed, order=15, present=kb_demo.articles_present)
