app_name = "checkin_api"
urlpatterns: list = []
