"""Which nodes stay fp32 in the int8 model, and Shape reading the int8 tensor."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from engine.quantize import quantize_onnx
from engine.quantize_graph import name_nodes, nodes_to_keep_fp32, shapes_from_int8

SIZE = 8


def _network() -> onnx.ModelProto:
    """Narrow and wide convs, a depthwise conv, an attention-like activation x activation
    MatMul and a MatMul with a weight; every node named, as quant_pre_process leaves them."""
    rng = np.random.default_rng(0)

    def weight(name: str, *shape: int) -> onnx.TensorProto:
        fan_in = int(np.prod(shape[1:])) or 1
        return numpy_helper.from_array(
            rng.normal(0, 1 / np.sqrt(fan_in), shape).astype(np.float32), name
        )

    inits = [
        weight("w_first", 16, 1, 3, 3),  # K = 9: fp32
        weight("w_wide", 32, 16, 3, 3),  # K = 144, N = 32: int8
        weight("w_depthwise", 32, 1, 3, 3),  # group 32: K = 9, N = 1: fp32
        weight("w_pointwise", 16, 32, 1, 1),  # K = 32, N = 16: int8 (the limits themselves)
        weight("w_head", 1, 16, 1, 1),  # N = 1: fp32
        weight("w_proj", 16, 2),  # MatMul with a weight: int8
        numpy_helper.from_array(np.array([0, 16, SIZE * SIZE], np.int64), "tokens_shape"),
    ]
    node = helper.make_node
    nodes = [
        node("Conv", ["image", "w_first"], ["c1"], name="first", pads=[1] * 4),
        node("Relu", ["c1"], ["r1"], name="relu1"),
        node("Conv", ["r1", "w_wide"], ["c2"], name="wide", pads=[1] * 4),
        node("Relu", ["c2"], ["r2"], name="relu2"),
        node("Conv", ["r2", "w_depthwise"], ["c3"], name="depthwise", pads=[1] * 4, group=32),
        node("Conv", ["c3", "w_pointwise"], ["c4"], name="pointwise"),
        node("Conv", ["c4", "w_head"], ["segmentation"], name="head"),
        node("Reshape", ["c4", "tokens_shape"], ["tokens"], name="tokens"),
        node("Transpose", ["tokens"], ["tokens_t"], name="transpose", perm=[0, 2, 1]),
        node("MatMul", ["tokens", "tokens_t"], ["scores"], name="scores"),
        node("Softmax", ["scores"], ["attention"], name="softmax", axis=-1),
        node("MatMul", ["attention", "w_proj"], ["projected"], name="projection"),
        node("ReduceMean", ["projected"], ["classification"], name="pool", axes=[1], keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "selection",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 1, SIZE, SIZE])],
        [
            helper.make_tensor_value_info("segmentation", TensorProto.FLOAT, ["N", 1, SIZE, SIZE]),
            helper.make_tensor_value_info("classification", TensorProto.FLOAT, ["N", 2]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def test_narrow_convs_and_activation_matmuls_stay_fp32() -> None:
    assert sorted(nodes_to_keep_fp32(_network())) == ["depthwise", "first", "head", "scores"]


def test_unnamed_nodes_are_refused_until_named() -> None:
    model = _network()
    model.graph.node[0].name = model.graph.node[9].name = ""
    with pytest.raises(ValueError, match="2 Conv, MatMul nodes have no name"):
        nodes_to_keep_fp32(model)
    model.graph.node[1].name = "Conv_0"  # a name the naming would otherwise pick
    assert name_nodes(model) == 2
    names = [n.name for n in model.graph.node]
    assert len(set(names)) == len(names) and all(names)
    assert sorted(nodes_to_keep_fp32(model)) == ["Conv_0_", "MatMul_9", "depthwise", "head"]


def test_quantised_model_keeps_the_chosen_nodes_fp32(tmp_path) -> None:
    fp32_path = tmp_path / "model.onnx"
    onnx.save(_network(), str(fp32_path))
    rng = np.random.default_rng(1)
    feeds = [{"image": rng.random((2, 1, SIZE, SIZE), dtype=np.float32)} for _ in range(4)]
    out = quantize_onnx(fp32_path, tmp_path / "int8.onnx", feeds)
    graph = onnx.load(str(out)).graph
    producer = {o: n.op_type for n in graph.node for o in n.output}
    convs = {n.name: n for n in graph.node if n.op_type == "Conv"}
    assert set(convs) == {"first", "wide", "depthwise", "pointwise", "head"}
    # A quantised node reads its weight through a DequantizeLinear, an fp32 node directly.
    int8_weights = {name for name, n in convs.items() if n.input[1] in producer}
    assert int8_weights == {"wide", "pointwise"}
    assert all(producer.get(i) != "DequantizeLinear" for i in convs["first"].input)
    assert not any(n.op_type == "QuantizeLinear" and "scores" in n.output[0] for n in graph.node)
    fp32 = ort.InferenceSession(str(fp32_path), providers=["CPUExecutionProvider"])
    int8 = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for feed in feeds:
        for a, b in zip(fp32.run(None, feed), int8.run(None, feed), strict=True):
            assert float(np.abs(a - b).max()) < 0.05 * (float(np.abs(a).max()) or 1.0)


def _dequantised_shape_model() -> onnx.ModelProto:
    """x -> Q -> DQ -> Relu, and Shape(DQ) -> the output's shape, as GroupNorm's reshape
    back reads its input's shape; plus a DQ read by a Shape only."""
    node = helper.make_node
    inits = [
        numpy_helper.from_array(np.array(0.02, np.float32), "scale"),
        numpy_helper.from_array(np.array(128, np.uint8), "zero"),
    ]
    nodes = [
        node("QuantizeLinear", ["x", "scale", "zero"], ["x_q"], name="q"),
        node("DequantizeLinear", ["x_q", "scale", "zero"], ["x_dq"], name="dq"),
        node("DequantizeLinear", ["x_q", "scale", "zero"], ["x_dq_2"], name="dq_shape_only"),
        node("Relu", ["x_dq"], ["r"], name="relu"),
        node("Shape", ["x_dq"], ["s"], name="shape"),
        node("Shape", ["x_dq_2"], ["s2"], name="shape_2"),
        node("Reshape", ["r", "s"], ["y"], name="reshape"),
        node("Mul", ["s", "s2"], ["dims"], name="dims"),
    ]
    graph = helper.make_graph(
        nodes,
        "shapes",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3]),
            helper.make_tensor_value_info("dims", TensorProto.INT64, [2]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def test_shape_reads_the_int8_tensor_and_lone_dequantize_goes() -> None:
    before = _dequantised_shape_model()
    after = _dequantised_shape_model()
    assert shapes_from_int8(after) == 2
    onnx.checker.check_model(after)
    nodes = {n.name: n for n in after.graph.node}
    assert nodes["shape"].input[0] == "x_q" and nodes["shape_2"].input[0] == "x_q"
    assert "dq_shape_only" not in nodes and "dq" in nodes  # dq still feeds Relu
    feed = {"x": np.array([[-1.0, 0.5, 2.0], [0.1, -0.2, 0.3]], np.float32)}
    run = [
        ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"]).run(
            None, feed
        )
        for m in (before, after)
    ]
    for a, b in zip(*run, strict=True):
        np.testing.assert_array_equal(a, b)
