"""How a trained model is written to disk and checked when it is read: its description with classes and
checksums, scikit-learn parts through skops, and the ONNX export and its runtime.

- `description`: bundle.json / onnx.json, what they must hold to be trusted
- `skops_files`: scikit-learn objects saved without pickle
- `onnx_export`: a model to ONNX, checked against the original
- `onnx_runtime`: `OnnxClassifier`, an export run with ONNX Runtime
"""
