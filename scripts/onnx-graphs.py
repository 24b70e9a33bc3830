#!/usr/bin/env python3
"""ONNX graphs that are not tree ensembles (issue #28), for onnxruntime-node through ml-model / model-predict.

Built with Debian's python3-onnx (onnx.helper) and python3-numpy; the expected outputs are computed here by numpy in
float32, so a test can check the runtime's answers to 1e-5. The weights are random (seeded); the rows are the
first 40 of the home scenario's columns scaled as the sensor simulator emits them (made up, not measured data).

  python3 scripts/onnx-graphs.py   # writes test/fixtures/import/onnx-graph/
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'import', 'onnx-graph')
rng = np.random.default_rng(28)
N_FEATURES = 4
ROWS = rng.normal(loc=[21.0, 45.0, 600.0, 0.3], scale=[2.0, 8.0, 150.0, 0.2], size=(40, N_FEATURES)).astype(np.float32)


def save(name, graph, expected):
    model = helper.make_model(graph, producer_name='iot-ai fixtures', opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, f'{name}.onnx'))
    with open(os.path.join(OUT, f'{name}.expected.json'), 'w') as f:
        json.dump({'rows': ROWS.tolist(), **expected}, f)


def scaling():
    """(x - mean) / std, as the first nodes of every graph here."""
    return [helper.make_node('Sub', ['input', 'mean'], ['centred']), helper.make_node('Div', ['centred', 'std'], ['scaled'])]


def init(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def normalise():
    mean = ROWS.mean(axis=0).astype(np.float32)
    std = ROWS.std(axis=0).astype(np.float32)
    return mean, std


def sigmoid(z):
    return (1 / (1 + np.exp(-z.astype(np.float64)))).astype(np.float32)


def softmax(z):
    e = np.exp(z.astype(np.float64) - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


mean, std = normalise()
x = helper.make_tensor_value_info('input', TensorProto.FLOAT, ['batch', N_FEATURES])
scaled = (ROWS - mean) / std

# 1. A linear regression: value = ((x - mean) / std) · w + b.
w = rng.normal(size=(N_FEATURES, 1)).astype(np.float32)
b = np.float32(2.5)
nodes = scaling() + [helper.make_node('Gemm', ['scaled', 'w', 'b'], ['value'])]
graph = helper.make_graph(nodes, 'linear', [x], [helper.make_tensor_value_info('value', TensorProto.FLOAT, ['batch', 1])],
                          [init('mean', mean), init('std', std), init('w', w), init('b', [b])])
save('linear-regression', graph, {'task': 'regression', 'value': (scaled @ w + b)[:, 0].tolist()})

# 2. An MLP classifier (4 → 8 → 3), softmax probabilities: what a PyTorch export of nn.Sequential + Softmax gives.
w1 = rng.normal(size=(N_FEATURES, 8)).astype(np.float32)
b1 = rng.normal(size=8).astype(np.float32)
w2 = rng.normal(size=(8, 3)).astype(np.float32)
b2 = rng.normal(size=3).astype(np.float32)
mlp = scaling() + [
    helper.make_node('Gemm', ['scaled', 'w1', 'b1'], ['h']),
    helper.make_node('Relu', ['h'], ['a']),
    helper.make_node('Gemm', ['a', 'w2', 'b2'], ['logits']),
    helper.make_node('Softmax', ['logits'], ['probabilities'], axis=1),
]
graph = helper.make_graph(mlp, 'mlp', [x], [helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, ['batch', 3])],
                          [init('mean', mean), init('std', std), init('w1', w1), init('b1', b1), init('w2', w2), init('b2', b2)])
hidden = np.maximum(scaled @ w1 + b1, 0).astype(np.float32)
logits = (hidden @ w2 + b2).astype(np.float32)
save('mlp-softmax', graph, {'task': 'classification', 'probabilities': softmax(logits).tolist()})

# 3. The same MLP without its Softmax: logits out (turned into probabilities by softmax, documented).
graph = helper.make_graph(mlp[:-1], 'mlp-logits', [x], [helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['batch', 3])],
                          [init('mean', mean), init('std', std), init('w1', w1), init('b1', b1), init('w2', w2), init('b2', b2)])
save('mlp-logits', graph, {'task': 'classification', 'probabilities': softmax(logits).tolist()})

# 4. A logistic regression with one logit (binary: the logistic of it is class 1's probability).
wl = rng.normal(size=(N_FEATURES, 1)).astype(np.float32)
nodes = scaling() + [helper.make_node('Gemm', ['scaled', 'w', 'b'], ['logit'])]
graph = helper.make_graph(nodes, 'logistic', [x], [helper.make_tensor_value_info('logit', TensorProto.FLOAT, ['batch', 1])],
                          [init('mean', mean), init('std', std), init('w', wl), init('b', [0.1])])
p1 = sigmoid(scaled @ wl + np.float32(0.1))[:, 0]
save('binary-logit', graph, {'task': 'classification', 'probabilities': np.stack([1 - p1, p1], axis=1).tolist()})

# 5. A classifier with a label tensor and a probability tensor (as skl2onnx lays them out with zipmap=False).
nodes = mlp + [helper.make_node('ArgMax', ['probabilities'], ['label'], axis=1, keepdims=0)]
graph = helper.make_graph(nodes, 'mlp-labelled', [x],
                          [helper.make_tensor_value_info('label', TensorProto.INT64, ['batch']),
                           helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, ['batch', 3])],
                          [init('mean', mean), init('std', std), init('w1', w1), init('b1', b1), init('w2', w2), init('b2', b2)])
save('mlp-label-probabilities', graph, {'task': 'classification', 'probabilities': softmax(logits).tolist()})

# 6. An image model's input: [1, 3, 8, 8] cannot take a window's features (refused at deploy).
img = helper.make_tensor_value_info('image', TensorProto.FLOAT, [1, 3, 8, 8])
graph = helper.make_graph([helper.make_node('ReduceMean', ['image'], ['mean'], keepdims=0)], 'image', [img],
                          [helper.make_tensor_value_info('mean', TensorProto.FLOAT, [1])])
save('image-input', graph, {'task': 'refused'})
