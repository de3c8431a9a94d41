"""/api/v1/: the integration API and its OpenAPI schema. Mounted by arc/urls.py."""

from django.urls import path
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from portal.api import views

app_name = "api"

router = SimpleRouter()
router.register("sites", views.SiteViewSet, basename="site")
router.register("alarms", views.AlarmViewSet, basename="alarm")
router.register("events", views.EventViewSet, basename="event")
router.register("logbook", views.LogEntryViewSet, basename="logentry")



class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, public (it describes, it does not expose data), in English."""

    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request, *args, **kwargs):
        with translation.override("en"):
            return super().get(request, *args, **kwargs)


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    *router.urls,
]
