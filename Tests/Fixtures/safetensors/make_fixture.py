"""Writes python_written.safetensors (next to this script) with the `safetensors` package.

SafeTensorsInteropTests reads the file and checks these exact values; regenerate with
`python3 Tests/Fixtures/safetensors/make_fixture.py` (needs `pip install safetensors numpy`).
"""
import os

import numpy as np
from safetensors.numpy import save_file

tensors = {
    "weight": np.array([[-1.5, 0.0, 0.25], [0.1, 3.0e38, -1.0e-45]], dtype=np.float32),   # F32 2-D
    "double": np.array([0.1, -2.5, 1.0e300, 5.0e-324], dtype=np.float64),                  # F64
    "index": np.array([-(2**63), -1, 0, 2**63 - 1], dtype=np.int64),                        # I64
    "bytes": np.array([[0, 1], [127, 255]], dtype=np.uint8),                                # U8
    "half": np.array([1.0, -0.5, 65504.0, 2.0**-24, -0.0, np.inf], dtype=np.float16),      # F16
    "int32": np.array([-(2**31), 7], dtype=np.int32),                                       # I32
    "int8": np.array([-128, 127], dtype=np.int8),                                           # I8
    "flags": np.array([True, False, True]),                                                 # BOOL
    "scalar": np.array(2.5, dtype=np.float32),                                              # shape []
    "empty": np.zeros((0, 3), dtype=np.float32),                                            # shape [0, 3]
}
metadata = {"producer": "make_fixture.py", "note": "ünïcødé ✓ \"quoted\"\n"}

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python_written.safetensors")
save_file(tensors, path, metadata=metadata)
print(f"wrote {path}")
