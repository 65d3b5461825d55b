"""Pick the torch device: cuda, then mps, then cpu, unless the user says otherwise."""
from __future__ import annotations

import torch

DEVICE_CHOICES = ("auto", "cuda", "mps", "cpu")


def available_devices() -> list[str]:
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def pick_device(choice: str = "auto") -> torch.device:
    """Resolve `choice` to a device; an unavailable explicit choice is an error, not a silent fallback."""
    found = available_devices()
    if choice == "auto":
        return torch.device(found[0])
    if choice not in found:
        raise ValueError(f"Device '{choice}' is not available on this server. Available: {', '.join(found)}.")
    return torch.device(choice)

