"""The WebRTC answerer with an aiortc client instead of a browser: a client
that offers H.264 gets the camera's packets passed through; one that offers
only VP8 still gets video (encoded by aiortc from decoded frames)."""

from __future__ import annotations

import asyncio

import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpsender import RTCRtpSender

from video.service.reader import CameraConfig, CameraReader
from video.service.webrtc import answer_offer, restrict_ice_to_loopback


@pytest.mark.parametrize("client_codec, expected", [("video/H264", "H264"), ("video/VP8", "VP8")])
def test_client_receives_frames(demo_file, client_codec, expected):
    restrict_ice_to_loopback()

    async def scenario():
        reader = CameraReader(CameraConfig(id=1, name="c", kind="file", url=str(demo_file)),
                              asyncio.get_running_loop())
        reader.start()
        client = RTCPeerConnection()
        session = None
        try:
            transceiver = client.addTransceiver("video", direction="recvonly")
            transceiver.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("video").codecs
                                             if c.mimeType == client_codec])
            received = asyncio.get_running_loop().create_future()

            @client.on("track")
            def on_track(track):
                async def pull():
                    frames = [await asyncio.wait_for(track.recv(), 10) for _ in range(5)]
                    received.set_result(frames)

                asyncio.ensure_future(pull())

            await client.setLocalDescription(await client.createOffer())
            session, sdp, codec = await answer_offer(reader, client.localDescription.sdp, loopback=True)
            assert codec == expected
            await client.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
            frames = await asyncio.wait_for(received, 20)
            assert all(f.width == 640 and f.height == 480 for f in frames)
        finally:
            if session is not None:
                session.track.stop()
                await session.pc.close()
            await client.close()
            reader.stop()
            await asyncio.to_thread(reader.join, 5)
        return reader

    reader = asyncio.run(scenario())
    assert not reader.subscribers  # the viewer's queue is gone with its track
