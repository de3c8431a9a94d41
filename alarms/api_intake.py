"""POST /api/v1/events: events from non-panel sources (cameras, IoT, other
platforms). Schema and examples in docs/intake-api.md.

Each source has its own token (``IntakeSource``; only its hash is stored).
The view validates, then calls the one intake service, ``signal_submit``;
the response says which signal was journaled. Errors are 4xx JSON.
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import authentication, exceptions, parsers, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alarms.models import Category, IntakeSource
from alarms.services.intake import IntakeError, signal_submit
from sites.models import Site, Zone


class SourcePrincipal:
    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, source: IntakeSource):
        self.source = source

    def __str__(self):
        return f"intake-source:{self.source.name}"


class IntakeSourceAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` of an active IntakeSource."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header: expected 'Bearer <token>'.")
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        source = IntakeSource.objects.filter(token_hash=IntakeSource.hash_token(token), active=True).first()
        if source is None:
            raise exceptions.AuthenticationFailed("Unknown or inactive event source token.")
        IntakeSource.objects.filter(pk=source.pk).update(last_used_at=timezone.now())
        return SourcePrincipal(source), source

    def authenticate_header(self, request):
        return "Bearer"


class EventIn(serializers.Serializer):
    site = serializers.CharField(max_length=20, help_text="Site code (code site).")
    zone = serializers.CharField(max_length=8, required=False, allow_blank=True,
                                 help_text="Zone number on the site, if any.")
    camera = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                   help_text="Camera name or identifier, for events from video analytics.")
    protocol = serializers.ChoiceField(choices=["SIA-DCS", "ADM-CID"], default="SIA-DCS",
                                       help_text="Code table of `code`.")
    code = serializers.CharField(max_length=8, required=False, allow_blank=True,
                                 help_text="Event code (SIA 'BA', Contact ID '130'). Either code or category.")
    qualifier = serializers.ChoiceField(choices=["new", "restore", "status"], default="new")
    category = serializers.ChoiceField(choices=Category.values, required=False,
                                       help_text="For sources without codes: the event category.")
    priority = serializers.IntegerField(min_value=1, max_value=9, required=False,
                                        help_text="1 (most urgent) to 9; defaults from the code table.")
    text = serializers.CharField(max_length=250, required=False, allow_blank=True)
    snapshot = serializers.CharField(required=False, allow_blank=True,
                                     help_text="Optional JPEG or PNG image, base64 (or a multipart file part).")

    def validate(self, attrs):
        if not attrs.get("code") and not attrs.get("category"):
            raise serializers.ValidationError({"code": "Give an event code or a category."})
        if attrs.get("code") and attrs.get("category"):
            raise serializers.ValidationError({"category": "Give a code or a category, not both."})
        return attrs


def _snapshot(request, data) -> bytes | None:
    upload = request.FILES.get("snapshot")
    if upload is not None:
        if upload.size > settings.INTAKE_SNAPSHOT_MAX_BYTES:
            raise serializers.ValidationError({"snapshot": "Image too large."})
        raw = upload.read()
    elif data.get("snapshot"):
        try:
            raw = base64.b64decode(data["snapshot"], validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError({"snapshot": "Not valid base64."}) from None
        if len(raw) > settings.INTAKE_SNAPSHOT_MAX_BYTES:
            raise serializers.ValidationError({"snapshot": "Image too large."})
    else:
        return None
    if not (raw.startswith(b"\xff\xd8\xff") or raw.startswith(b"\x89PNG\r\n\x1a\n")):
        raise serializers.ValidationError({"snapshot": "Only JPEG or PNG images are accepted."})
    return raw


class IntakeEventsView(APIView):
    authentication_classes = [IntakeSourceAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [parsers.JSONParser, parsers.MultiPartParser, parsers.FormParser]

    @extend_schema(
        operation_id="events_submit",
        summary="Submit an event from a non-panel source",
        request=EventIn,
        responses={202: inline_serializer("EventAccepted", {"signal": serializers.IntegerField(),
                                                            "status": serializers.CharField()}),
                   400: inline_serializer("EventError", {"field": serializers.ListField()}),
                   401: inline_serializer("Unauthorized", {"detail": serializers.CharField()})},
        examples=[OpenApiExample("Motion on a camera", request_only=True,
                                 value={"site": "S0001", "camera": "Quai 2", "category": "alarm", "priority": 3,
                                        "text": "Intrusion detected by video analytics"}),
                  OpenApiExample("A coded event", request_only=True,
                                 value={"site": "S0001", "zone": "4", "code": "FA", "text": "Smoke sensor"})],
    )
    def post(self, request):
        source: IntakeSource = request.auth
        data = EventIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        sites = Site.objects.select_related("customer")
        if source.customer_id:
            sites = sites.filter(customer_id=source.customer_id)
        site = sites.filter(code=values["site"]).first()
        if site is None:
            return Response({"site": ["Unknown site code for this source."]}, status=status.HTTP_400_BAD_REQUEST)
        zone_number = values.get("zone", "")
        if zone_number and not any(z.lstrip("0") == zone_number.lstrip("0")
                                   for z in Zone.objects.filter(site=site).values_list("number", flat=True)):
            return Response({"zone": ["Unknown zone on this site."]}, status=status.HTTP_400_BAD_REQUEST)
        snapshot = _snapshot(request, request.data)
        text = values.get("text", "")
        if values.get("camera"):
            text = f"[{values['camera']}] {text}".strip()
        event = {"protocol": values["protocol"], "code": values.get("code", ""), "qualifier": values["qualifier"],
                 "zone": zone_number, "text": text[:250]}
        if not values.get("code"):
            event["category"] = values["category"]
        if values.get("priority"):
            event["priority"] = values["priority"]
        peer = request.META.get("REMOTE_ADDR", "")
        try:
            with transaction.atomic():
                signal = signal_submit(source="api", site=site, events=[event], text=text, peer=peer,
                                       snapshot=snapshot, receiver=f"api:{source.name}"[:32])
        except IntakeError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"signal": signal.pk, "status": "accepted"}, status=status.HTTP_202_ACCEPTED)
