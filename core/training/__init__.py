"""How a torch model learns, whatever the model: the training loop and its callbacks, checkpoints to resume
from, training across processes, early stopping, and the device.

- `state`: `TrainState`, where training stands, and `Batch`
- `callbacks`: `Callback`'s hooks, and `CallbackList`, which calls them and keeps their state
- `loop`: `train_loop`, its `TrainOptions`, and the schedules
- `checkpoints`: where training stood, to carry on a stopped run
- `distributed`: one run across several processes (torchrun)
- `early_stopping`: keep the best epoch, stop when validation stops improving
- `device`: cuda, then mps, then cpu
"""
