"""Trained models as files a person takes away or hands in: loading a folder or ZIP with every check, the
ZIP to download with its model card, and models imported into the workspace.

- `loading`: `load_model` and `load_folder`
- `bundle`: the model of a run as a ZIP to take away (bundle or ONNX)
- `card`: the README.md that travels with a model
- `imported`: models handed in through the Predict page
"""
