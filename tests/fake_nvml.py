"""A stand-in for the `pynvml` module (nvidia-ml-py), so GPU reporting is tested on machines without a GPU."""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType, SimpleNamespace


class NVMLError(Exception):
    pass


@dataclass(frozen=True)
class FakeGpu:
    name: str
    used: int
    total: int
    utilization: int | None  # None: the driver answers "not supported", as for MIG slices
    uuid: str


def fake_nvml(gpus: list[FakeGpu], fail_init: bool = False) -> ModuleType:
    """A module with the NVML calls core.runs.system makes; `module.inits` counts nvmlInit calls."""
    module = ModuleType("pynvml")
    module.NVMLError = NVMLError
    module.inits = 0

    def init() -> None:
        module.inits += 1
        if fail_init:
            raise NVMLError("NVML Shared Library Not Found")

    def handle(index: int) -> FakeGpu:
        if not 0 <= index < len(gpus):
            raise NVMLError("Invalid Argument")
        return gpus[index]

    def utilization(gpu: FakeGpu) -> SimpleNamespace:
        if gpu.utilization is None:
            raise NVMLError("Not Supported")
        return SimpleNamespace(gpu=gpu.utilization, memory=0)

    module.nvmlInit = init
    module.nvmlDeviceGetCount = lambda: len(gpus)
    module.nvmlDeviceGetHandleByIndex = handle
    module.nvmlDeviceGetName = lambda gpu: gpu.name
    module.nvmlDeviceGetUUID = lambda gpu: gpu.uuid
    module.nvmlDeviceGetMemoryInfo = lambda gpu: SimpleNamespace(used=gpu.used, total=gpu.total,
                                                                  free=gpu.total - gpu.used)
    module.nvmlDeviceGetUtilizationRates = utilization
    return module
