app_name = "queueing_api"
urlpatterns: list = []
