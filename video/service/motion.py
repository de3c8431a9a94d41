"""Motion detection: OpenCV background subtraction (MOG2) on a small grey
copy of each frame, masks applied, a minimum area, and a few consecutive
frames required before it says "motion" (one noisy frame is not an intruder).
A cooldown keeps one walk-through from becoming twenty alarms."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import cv2
import numpy as np

WIDTH = 320
ANALYSE_FPS = 5.0
WARMUP_FRAMES = 25
CONSECUTIVE = 3


class MotionDetector:
    def __init__(self, *, min_area: float = 1.0, sensitivity: int = 25, cooldown: float = 60.0,
                 exclude: list | None = None, masks: list | None = None, hours: tuple | None = None):
        self.min_fraction = max(0.0001, min_area / 100.0)
        self.cooldown = cooldown
        self.polygons = list(exclude or []) + list(masks or [])
        self.hours = hours  # (start "HH:MM:SS" or None, end or None, time zone name)
        self.subtractor = cv2.createBackgroundSubtractorMOG2(history=200, varThreshold=max(4, sensitivity),
                                                             detectShadows=False)
        self.kernel = np.ones((3, 3), np.uint8)
        self.mask: np.ndarray | None = None
        self.frames = 0
        self.hits = 0
        self.last_analysed = 0.0
        self.last_alarm = 0.0
        self.last_fraction = 0.0

    def _build_mask(self, shape) -> np.ndarray:
        h, w = shape[:2]
        mask = np.full((h, w), 255, np.uint8)
        for polygon in self.polygons:
            points = np.array([[int(x * w), int(y * h)] for x, y in polygon], np.int32)
            cv2.fillPoly(mask, [points], 0)
        return mask

    def in_schedule(self, wall: float) -> bool:
        if not self.hours or not self.hours[0] or not self.hours[1]:
            return True
        from video.models import in_hours

        start, end, tz = self.hours
        local = dt.datetime.fromtimestamp(wall, zoneinfo.ZoneInfo(tz))
        return in_hours(dt.time.fromisoformat(start), dt.time.fromisoformat(end), "", local)

    def feed(self, image: np.ndarray, wall: float) -> bool:
        """Analyse a BGR frame (at most ANALYSE_FPS a second); True when an alarm is due."""
        if wall - self.last_analysed < 1.0 / ANALYSE_FPS:
            return False
        self.last_analysed = wall
        h, w = image.shape[:2]
        small = cv2.resize(image, (WIDTH, max(1, int(h * WIDTH / w))), interpolation=cv2.INTER_AREA)
        grey = cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (5, 5), 0)
        if self.mask is None or self.mask.shape != grey.shape:
            self.mask = self._build_mask(grey.shape)
        foreground = self.subtractor.apply(grey)
        self.frames += 1
        if self.frames < WARMUP_FRAMES:
            return False
        foreground = cv2.bitwise_and(foreground, self.mask)
        foreground = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, self.kernel)
        contours, _ = cv2.findContours(foreground, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        area = max((cv2.contourArea(c) for c in contours), default=0.0)
        self.last_fraction = area / float(grey.shape[0] * grey.shape[1])
        if self.last_fraction < self.min_fraction:
            self.hits = 0
            return False
        self.hits += 1
        if self.hits < CONSECUTIVE or wall - self.last_alarm < self.cooldown:
            return False
        if not self.in_schedule(wall):
            return False
        self.last_alarm = wall
        return True
