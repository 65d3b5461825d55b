"""How a torch model learns, whatever the model: the training loop and its callbacks, checkpoints to resume
from, training across processes, early stopping, and the device.

- `loop`: `train_loop`, `TrainState`, `Callback` and the schedules
- `checkpoints`: where training stood, to carry on a stopped run
- `distributed`: one run across several processes (torchrun)
- `early_stopping`: keep the best epoch, stop when validation stops improving
- `device`: cuda, then mps, then cpu
"""
