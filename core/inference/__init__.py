"""Using a trained model: predictions for texts and tables, which words pushed a prediction, and an HTTP
server.

- `prediction`: the model of a run, and predictions as a table
- `attributions`: word attributions by occlusion or gradients
- `serving`: `python -m core serve`
"""
