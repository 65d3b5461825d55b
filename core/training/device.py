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



def describe_device(choice: str = "auto") -> str:
    """The device `choice` resolves to, in words: 'GPU NVIDIA H200 (140 GiB)', 'CPU (2 threads)'."""
    try:
        device = pick_device(choice)
    except ValueError as exc:
        return str(exc)
    if device.type == "cuda":
        total = torch.cuda.get_device_properties(device).total_memory / 2**30
        return f"GPU {torch.cuda.get_device_name(device)} ({total:.0f} GiB)"
    if device.type == "mps":
        return "Apple GPU (MPS)"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads > 1 else ''})"
