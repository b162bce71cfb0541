"""mx.viz: print_summary prints the table MXNet 1.9.1 prints, and plot_network builds the
Graphviz source MXNet 1.9.1 builds, for the same symbols (the expected texts are MXNet's
output, copied)."""
from __future__ import annotations

import sys

import pytest

import mxjit as mx
from mxjit.base import ArgumentError, ShapeError

HEADER_120 = ("Layer (type)                                        Output Shape            "
              "Param #     Previous Layer")


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def mlp():
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=128, name="fc1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.FullyConnected(net, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def cnn():
    net = mx.sym.Convolution(mx.sym.var("data"), kernel=(3, 3), num_filter=8, pad=(1, 1),
                             name="conv1")
    net = mx.sym.BatchNorm(net, name="bn1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool1")
    net = mx.sym.Convolution(net, kernel=(3, 3), num_filter=16, no_bias=True, name="conv2")
    net = mx.sym.LeakyReLU(net, act_type="leaky", name="lrelu")
    net = mx.sym.Flatten(net, name="flat")
    net = mx.sym.FullyConnected(net, num_hidden=10, name="fc")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def branchy():
    emb = mx.sym.Embedding(mx.sym.var("tokens"), input_dim=50, output_dim=8, name="emb")
    flat = mx.sym.flatten(emb, name="flat")
    a = mx.sym.FullyConnected(flat, num_hidden=4, name="a")
    b = mx.sym.FullyConnected(flat, num_hidden=6, no_bias=True, name="b")
    return mx.sym.split(mx.sym.concat(a, b, dim=1, name="cat"), num_outputs=2, name="parts")


def mxnet_table(width, header, layers, total):
    """MXNet's table around its rows: rules between layers, a double rule after the header
    and the last layer, the total."""
    lines = ["_" * width, header, "=" * width]
    for k, layer in enumerate(layers):
        lines += layer.split("\n")
        lines.append(("=" if k == len(layers) - 1 else "_") * width)
    return lines + [f"Total params: {total}", "_" * width]


def printed(capsys, width, *args, **kwargs):
    mx.viz.print_summary(*args, **kwargs)
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    # (every row is padded to the full width, as MXNet pads it)
    assert all(len(line) == width for line in lines if not line.startswith("Total"))
    return [line.rstrip() for line in lines]


def test_print_summary_of_an_mlp_is_mxnets(capsys):
    assert printed(capsys, 120, mlp(), shape={"data": (1, 100)}) == mxnet_table(120, HEADER_120, [
        "data(null)                                          100                     0",
        "fc1(FullyConnected)                                 128                     12928       "
        "data",
        "relu1(Activation)                                   128                     0           "
        "fc1",
        "fc2(FullyConnected)                                 10                      1290        "
        "relu1",
        "softmax(SoftmaxOutput)                              10                      0           "
        "fc2"], 14218)
    # without shapes: no shapes, and no input channels in the weighted layers' counts
    assert printed(capsys, 120, mlp()) == mxnet_table(120, HEADER_120, [
        "data(null)                                                                  0",
        "fc1(FullyConnected)                                                         128         "
        "data",
        "relu1(Activation)                                                           0           "
        "fc1",
        "fc2(FullyConnected)                                                         10          "
        "relu1",
        "softmax(SoftmaxOutput)                                                      0           "
        "fc2"], 138)


def test_print_summary_of_a_cnn_with_batchnorm_is_mxnets(capsys):
    rows = [("data(null)", "3x16x16", "0", ""), ("conv1(Convolution)", "8x16x16", "224", "data"),
            ("bn1(BatchNorm)", "8x16x16", "16", "conv1"),
            ("relu1(Activation)", "8x16x16", "0", "bn1"), ("pool1(Pooling)", "8x8x8", "0", "relu1"),
            ("conv2(Convolution)", "16x6x6", "1152", "pool1"),
            ("lrelu(LeakyReLU)", "16x6x6", "0", "conv2"), ("flat(Flatten)", "576", "0", "lrelu"),
            ("fc(FullyConnected)", "10", "5770", "flat"),
            ("softmax(SoftmaxOutput)", "10", "0", "fc")]
    layers = [f"{a:<52}{b:<24}{c:<12}{d}".rstrip() for a, b, c, d in rows]
    assert printed(capsys, 120, cnn(), shape={"data": (1, 3, 16, 16)}) == mxnet_table(
        120, HEADER_120, layers, 7162)


def test_print_summary_columns_several_inputs_and_embedding(capsys):
    header = "Layer (type)                  Output Shape        Param #     Previous Layer"
    assert printed(capsys, 80, branchy(), shape={"tokens": (2, 3)}, line_length=80,
                   positions=[30, 50, 62, 80]) == mxnet_table(80, header, [
        "tokens(null)                  3                   0",
        "emb(Embedding)                3x8                 400         tokens",
        "flat(Flatten)                 24                  0           emb",
        "a(FullyConnected)             4                   100         flat",
        "b(FullyConnected)             6                   144         flat",
        "cat(Concat)                   10                  0           a\n"
        "                                                              b",
        "parts(SliceChannel)                               0           cat"], 644)


def test_shapes_are_inferred_when_two_nodes_share_a_name(capsys):
    # (MXNet's own test_plot_network builds this: two FullyConnected named 'fc', whose
    # variables 'fc_weight' have different shapes)
    net = mx.sym.FullyConnected(mx.sym.var("data"), name="fc", num_hidden=128)
    net = mx.sym.Activation(net, name="relu1", act_type="relu")
    net = mx.sym.FullyConnected(net, name="fc", num_hidden=10)
    mx.viz.print_summary(net, shape={"data": (100, 200)})
    table = capsys.readouterr().out
    assert "25728" in table and "1290" in table  # (200*128 + 128 and 128*10 + 10)


def test_print_summary_errors():
    with pytest.raises(ArgumentError, match="symbol must be a Symbol"):
        mx.viz.print_summary(mx.nd.ones(2))
    fc = mx.sym.FullyConnected(mx.sym.var("d"), mx.sym.var("w"), num_hidden=3)
    with pytest.raises(ShapeError, match="Input shape is incomplete"):
        mx.viz.print_summary(fc, shape={"w": (3, 4)})


# ---- plot_network ----------------------------------------------------------------------------

MLP_SOURCE = """digraph plot {
    data [label=data fillcolor="#8dd3c7" fixedsize=true height=0.8034 shape=oval style=filled width=1.3]
    fc1 [label="FullyConnected
128" fillcolor="#fb8072" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    relu1 [label="Activation
relu" fillcolor="#ffffb3" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    fc2 [label="FullyConnected
10" fillcolor="#fb8072" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    softmax_label [label=softmax_label fillcolor="#8dd3c7" fixedsize=true height=0.8034 shape=oval style=filled width=1.3]
    softmax [label=softmax fillcolor="#fccde5" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    fc1 -> data [label=100 arrowtail=open dir=back]
    relu1 -> fc1 [label=128 arrowtail=open dir=back]
    fc2 -> relu1 [label=128 arrowtail=open dir=back]
    softmax -> fc2 [label=10 arrowtail=open dir=back]
    softmax -> softmax_label [label="" arrowtail=open dir=back]
}"""  # noqa: E501

CNN_SOURCE = """digraph cnn {
    data [label=data fillcolor="#8dd3c7" fixedsize=true height=0.8034 shape=oval style=filled width=1.3]
    conv1 [label="Convolution
3x3/1, 8" fillcolor="#fb8072" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    bn1 [label=bn1 fillcolor="#bebada" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    relu1 [label="Activation
relu" fillcolor="#ffffb3" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    pool1 [label="Pooling
max, 2x2/2x2" fillcolor="#80b1d3" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    conv2 [label="Convolution
3x3/1, 16" fillcolor="#fb8072" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    lrelu [label="LeakyReLU
leaky" fillcolor="#ffffb3" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    flat [label=flat fillcolor="#fdb462" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    fc [label="FullyConnected
10" fillcolor="#fb8072" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    softmax_label [label=softmax_label fillcolor="#8dd3c7" fixedsize=true height=0.8034 shape=oval style=filled width=1.3]
    softmax [label=softmax fillcolor="#fccde5" fixedsize=true height=0.8034 shape=box style=filled width=1.3]
    conv1 -> data [label="3x16x16(float32)" arrowtail=open dir=back]
    conv1 -> conv1_weight [label="3x3x3(float32)" arrowtail=open dir=back]
    conv1 -> conv1_bias [label="(float32)" arrowtail=open dir=back]
    bn1 -> conv1 [label="8x16x16(float32)" arrowtail=open dir=back]
    bn1 -> bn1_gamma [label="(float32)" arrowtail=open dir=back]
    bn1 -> bn1_beta [label="(float32)" arrowtail=open dir=back]
    bn1 -> bn1_moving_mean [label="(float32)" arrowtail=open dir=back]
    bn1 -> bn1_moving_var [label="(float32)" arrowtail=open dir=back]
    relu1 -> bn1 [label="8x16x16(float32)" arrowtail=open dir=back]
    pool1 -> relu1 [label="8x16x16(float32)" arrowtail=open dir=back]
    conv2 -> pool1 [label="8x8x8(float32)" arrowtail=open dir=back]
    conv2 -> conv2_weight [label="8x3x3(float32)" arrowtail=open dir=back]
    lrelu -> conv2 [label="16x6x6(float32)" arrowtail=open dir=back]
    flat -> lrelu [label="16x6x6(float32)" arrowtail=open dir=back]
    fc -> flat [label="576(float32)" arrowtail=open dir=back]
    fc -> fc_weight [label="576(float32)" arrowtail=open dir=back]
    fc -> fc_bias [label="(float32)" arrowtail=open dir=back]
    softmax -> fc [label="10(float32)" arrowtail=open dir=back]
    softmax -> softmax_label [label="(float32)" arrowtail=open dir=back]
}"""  # noqa: E501


def source(dot):
    return dot.source.replace("\t", "    ").strip()


def test_plot_network_draws_what_mxnet_draws():
    pytest.importorskip("graphviz")
    dot = mx.viz.plot_network(mlp(), shape={"data": (1, 100)})
    assert source(dot) == MLP_SOURCE and dot.format == "pdf"
    # shown weights are edges to bare names (no box of their own), as in MXNet
    dot = mx.viz.plot_network(cnn(), shape={"data": (1, 3, 16, 16)}, dtype={"data": "float32"},
                              hide_weights=False, title="cnn", save_format="png")
    assert source(dot) == CNN_SOURCE and dot.format == "png"
    plain = source(mx.viz.plot_network(cnn())).split("\n")
    assert plain[-4:-1] == ['    fc -> flat [label="" arrowtail=open dir=back]',
                          '    softmax -> fc [label="" arrowtail=open dir=back]',
                          '    softmax -> softmax_label [label="" arrowtail=open dir=back]']


def test_plot_network_node_attributes_and_outputs_of_several():
    pytest.importorskip("graphviz")
    net = mx.sym.Group(list(mx.sym.split(mx.sym.var("x"), num_outputs=2, name="s")))
    net = mx.sym.elemwise_add(net[0], net[1] * 2, name="add")
    lines = source(mx.viz.plot_network(net, shape={"x": (1, 4, 3)},
                                       node_attrs={"shape": "oval", "fixedsize": "false"}))
    assert ('    s [label=s fillcolor="#fccde5" fixedsize=false height=0.8034 shape=oval '
            'style=filled width=1.3]') in lines
    assert '    add -> s [label="2x3" arrowtail=open dir=back]' in lines
    assert '    _mulscalar0 -> s [label="2x3" arrowtail=open dir=back]' in lines


def test_plot_network_errors_and_warnings():
    pytest.importorskip("graphviz")
    with pytest.raises(ArgumentError, match="symbol must be a Symbol"):
        mx.viz.plot_network("net")
    with pytest.warns(RuntimeWarning, match="Repeated names: x"):
        mx.viz.plot_network(mx.sym.var("x") + mx.sym.var("x"))


def test_plot_network_without_graphviz_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # (as if it were not installed)
    with pytest.raises(ImportError, match="graphviz") as info:
        mx.viz.plot_network(mlp())
    if sys.version_info >= (3, 11):  # (exception notes)
        assert "pip install graphviz" in "".join(info.value.__notes__)


def test_viz_is_mxnets_module_name():
    assert mx.viz is mx.visualization
    assert mx.viz.__all__ == ["plot_network", "print_summary"]
