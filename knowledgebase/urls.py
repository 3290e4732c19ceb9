from django.urls import path

from knowledgebase import views

app_name = "help"
urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("articles/<int:article_id>-<str:slug>/", views.article, name="article"),
    path("articles/<int:article_id>/vote/", views.vote, name="vote"),
]
