"""A client sees its own site's cameras only when its contract includes video;
installers and other customers' clients never do."""

from __future__ import annotations

from django.urls import reverse

from video.models import Camera


def _camera(site, name="Entrée"):
    return Camera.objects.create(site=site, name=name, source_kind="file", url="/dev/null")


def test_client_with_video_contract_sees_its_cameras_and_gets_a_token(client, client_a, site_a):
    site_a.customer.contract_video = True
    site_a.customer.save()
    camera = _camera(site_a)
    client.force_login(client_a)
    page = client.get(reverse("video:site", args=[site_a.pk]))
    assert page.status_code == 200 and "Entrée" in page.content.decode()
    token = client.post(reverse("video:mjpeg_token", args=[camera.pk]))
    assert token.status_code == 200 and f"/mjpeg/{camera.pk}?token=" in token.json()["url"]


def test_no_contract_no_cameras(client, client_a, site_a):
    camera = _camera(site_a)
    client.force_login(client_a)
    assert client.get(reverse("video:site", args=[site_a.pk])).status_code == 404
    assert client.post(reverse("video:mjpeg_token", args=[camera.pk])).status_code == 404


def test_other_customers_client_and_installer_are_refused(client, client_b, installer_a, site_a):
    site_a.customer.contract_video = True
    site_a.customer.save()
    _camera(site_a)
    for user in (client_b, installer_a):
        client.force_login(user)
        assert client.get(reverse("video:site", args=[site_a.pk])).status_code == 404


def test_portal_links_to_the_cameras_when_the_contract_allows(client, client_a, site_a):
    site_a.customer.contract_video = True
    site_a.customer.save()
    _camera(site_a)
    client.force_login(client_a)
    page = client.get(reverse("portal:site", args=[site_a.pk])).content.decode()
    assert reverse("video:site", args=[site_a.pk]) in page
