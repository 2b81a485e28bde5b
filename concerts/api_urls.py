app_name = "concerts_api"
urlpatterns: list = []
