"""Mutation suite: `repro check` fails, and says where, when something is wrong.

Each mutant is one realistic bug, applied by exact string replacement to a copy (the
string must occur exactly once, so a refactor that removes it fails here loudly):

- of one example's folder: a PyTorch or TensorFlow mirror, the NumPy reference or
  ``example.toml``. The copy is renamed ``<example>-<mutant id>`` and checked by
  ``repro --examples-dir DIR check`` in this process, with the harness of this checkout,
  in one run with every other mutant of the same frameworks and options and with an
  unchanged copy of each of their examples (which must pass in that same run);
- of the harness: ``reproductions/`` and ``frameworks/`` are copied whole into a
  temporary folder, one mutated, and ``repro check <example>`` runs in a new process
  that imports the project from there (asserted to be what is imported), on the copy's
  own unchanged example (``fresh_process``: the process is forked from one that has
  imported NumPy and PyTorch, and nothing of the project, once for the session). A harness mutant is killed when the catalogue, run as
  CI runs it, exposes the broken harness.

A mutant is killed when `repro check` exits 1 and its output names the example, the
framework, the step and the quantity of the first failure: the first line
``first divergence <id> <framework>: step N, <quantity>[index]`` (parity), the first
``recorded by one side only <id> <framework>: step N <quantity> (only <side>)``, the
first ``claim failed <where>: <quantity>[index] step N`` under ``<id> FAILED`` (claims are
judged on NumPy's float64 run), ``<id>: the <framework> implementation raised ...
at step N``, or, for a comparison that fails its own check before any example runs,
``the comparison itself is broken: <dtype>: <planted error> at step N is not found`` (or
``<planted difference> is not accepted (step N, <quantity>)``: one it must pass).
One test per mutant, so the kill rate is the pass rate of ``test_the_mutant_is_killed``.

A mutant that survives stays in the table as it is, marked ``# SURVIVES`` with why:
a finding for the harness, not a test to weaken. Equivalent mutants, which change
nothing any example can observe, are not in the table: removing the PyTorch adapter's
``torch.set_default_dtype`` is one (every mirror passes its dtype itself).

Speed: the example mutants of one (framework, options) share one run, made once per
session even under pytest-xdist (``shared_run``); claim mutants need NumPy only.
"""

import fcntl
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import repro
from fresh_process import repro_process

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "reproductions" / "examples"
HARNESS_PACKAGES = ("reproductions", "frameworks")
ID = "<ID>"  # in an expected pattern: the checked copy's id, <example>-<mutant id>
BROKEN = "the comparison itself is broken: "  # parity.self_check failed: no example ran


@dataclass(frozen=True)
class Mutant:
    id: str
    file: str  # in the example's folder; reproductions/... or frameworks/... for the harness
    what: str
    example: str
    framework: str  # the framework checked against NumPy ("numpy": NumPy alone, for claims)
    old: str
    new: str
    expect: tuple  # the first failure: (kind, ...), see FAILURES below
    args: tuple = ()  # more options for `repro check`

    @property
    def in_harness(self) -> bool:
        return self.file.startswith(tuple(f"{p}/" for p in HARNESS_PACKAGES))

    @property
    def copy_id(self) -> str:
        return self.example if self.in_harness else f"{self.example}-{self.id}"

    @property
    def key(self) -> tuple:
        """The run it shares with other mutants: its frameworks and options."""
        return self.framework, self.args

    def pattern(self) -> str:
        """The first failure as a regex on the copy's output, whitespace collapsed."""
        kind, *details = self.expect
        return FAILURES[kind](self.framework, *details).replace(ID, re.escape(self.copy_id))


SHORT = ("--steps", "3")

MUTANTS = [
    # --- PyTorch mirrors --------------------------------------------------------------
    Mutant("torch_square_transpose", "torch_impl.py",
           "X @ W where nn.Linear computes X @ W.T: W1 is 3x3, so the wrong transpose runs",
           "car_price_no_bias", "torch",
           "    Z2 = layer1(X)  # all five cars", "    Z2 = X @ layer1.weight  # all five cars",
           ("diverges", 0, "Z2", "0,0")),
    Mutant("torch_lr_1e-6", "torch_impl.py",
           "learning rate off by 1e-6 relative, float64",
           "hours_studied", "torch",
           "lr=ctx.hyper.learning_rate", "lr=ctx.hyper.learning_rate * (1 + 1e-6)",
           ("diverges", 0, "weights", "0,0"), SHORT),
    Mutant("torch_grad_sign_flip", "torch_impl.py",
           "one element of a recorded gradient negated (source W1[1,2], torch's [2,1])",
           "test_scores", "torch",
           "        trace.gradients(cost)  # the cost, and each watched weight's .grad\n",
           "        flipped = net.hidden.weight.grad.clone()\n"
           "        flipped[2, 1] = -flipped[2, 1]\n"
           "        trace.gradients(cost, [flipped, net.output.weight.grad])\n",
           ("diverges", 0, "grad.W1", "1,2"), SHORT),
    Mutant("torch_bias_untrained", "torch_impl.py",
           "the biases left out of the optimizer: their gradients recorded, never applied",
           "xor_hidden_layer", "torch",
           "torch.optim.SGD(net.parameters(),",
           "torch.optim.SGD([net.layer1.weight, net.layer2.weight],",
           ("diverges", 0, "b2", "0,0"), SHORT),
    Mutant("torch_cost_after_step", "torch_impl.py",
           "the cost recorded after optimizer.step(), from the updated model",
           "hours_studied", "torch",
           "        trace.gradients(cost)  # the cost, and each watched parameter's .grad\n"
           "        optimizer.step()\n",
           "        optimizer.step()\n"
           "        trace.gradients(mse(linear(X), y))\n",
           ("diverges", 0, "cost", ""), SHORT),
    Mutant("torch_steps_plus_1", "torch_impl.py",
           "off-by-one in the step loop: range(ctx.steps + 1)",
           "hours_studied", "torch",
           "for step in range(ctx.steps):", "for step in range(ctx.steps + 1):",
           ("one_sided", 3, "biases", "torch"), SHORT),
    Mutant("torch_float32_tensor", "torch_impl.py",
           "silent float32 in a float64 run: the scaled inputs made float32, then cast back",
           "test_scores", "torch",
           "X = X_raw / X_raw.amax(dim=0)", "X = (X_raw / X_raw.amax(dim=0)).float().double()",
           ("diverges", 0, "X_scaled", "0,0"), SHORT),
    Mutant("torch_mean_for_sum", "torch_impl.py",
           "mean for sum: MSELoss's default reduction where the series' cost sums",
           "test_scores", "torch",
           'torch.nn.MSELoss(reduction="sum")(yHat, y)', "torch.nn.MSELoss()(yHat, y)",
           ("diverges", 0, "delta3", "0,0"), SHORT),
    Mutant("torch_zeroed_grad_float32", "torch_impl.py",
           "a gradient recorded as zeros (b1's), in a float32 run",
           "xor_hidden_layer", "torch",
           "        trace.gradients(cost)  # the cost, and each watched parameter's .grad\n",
           "        trace.gradients(cost, [net.layer2.weight.grad, net.layer2.bias.grad,\n"
           "                               net.layer1.weight.grad,\n"
           "                               torch.zeros_like(net.layer1.bias)])\n",
           ("diverges", 0, "grad.b1", "0,0"), ("--steps", "3", "--dtype", "float32")),
    Mutant("torch_momentum_on", "torch_impl.py",
           "momentum left on: the same first update, a different second",
           "hours_studied", "torch",
           "lr=ctx.hyper.learning_rate)", "lr=ctx.hyper.learning_rate, momentum=0.9)",
           ("diverges", 1, "weights", "0,0"), SHORT),
    Mutant("torch_no_zero_grad", "torch_impl.py",
           "optimizer.zero_grad() forgotten: from step 1 the gradients accumulate",
           "hours_studied", "torch",
           "        optimizer.zero_grad()\n", "",
           ("diverges", 1, "grad.weights", "0,0"), SHORT),
    Mutant("torch_bias_not_loaded", "torch_impl.py",
           "a start value not loaded: the bias keeps nn.Linear's random initialisation",
           "hours_studied", "torch",
           "ctx.load(weights=linear.weight, biases=linear.bias)", "ctx.load(weights=linear.weight)",
           ("diverges", 0, "slope_w", ""), SHORT),
    Mutant("torch_relu_for_sigmoid", "torch_impl.py",
           "ReLU for the hidden layer's sigmoid",
           "xor_hidden_layer", "torch",
           "self.A1 = torch.sigmoid(self.Z1)", "self.A1 = torch.relu(self.Z1)",
           ("diverges", 0, "A1", "0,0"), SHORT),
    Mutant("torch_activation_on_wrong_layer", "torch_impl.py",
           "swapped layer order: tanh applied after the output layer instead of the hidden one",
           "sgd_neural_net", "torch",
           "cost = nllm(layers[2](torch.tanh(layers[1](x))), y)",
           "cost = nllm(torch.tanh(layers[2](layers[1](x))), y)",
           ("diverges", 0, "cost", ""), SHORT),
    Mutant("toml_square_transpose_missing", "example.toml",
           "[layout] forgets that torch holds the square W1 (3x3) transposed: ctx.load accepts it",
           "car_price_no_bias", "torch",
           'torch = ["W1", "W2", "W3"]', 'torch = ["W2", "W3"]',
           ("diverges", 0, "Z2_car1", "0,0")),

    # --- TensorFlow mirrors -----------------------------------------------------------
    Mutant("tf_lr_1e-6", "tensorflow_impl.py",
           "a wrong learning rate in TensorFlow only, 1e-6 relative, float64",
           "test_scores", "tensorflow",
           "learning_rate=ctx.hyper.learning_rate)",
           "learning_rate=ctx.hyper.learning_rate * (1 + 1e-6))",
           ("diverges", 0, "W1", "0,0"), SHORT),
    Mutant("tf_sum_for_mean", "tensorflow_impl.py",
           "missing 1/m in the cost: MeanSquaredError(reduction='sum') for the blog's mean",
           "xor_hidden_layer", "tensorflow",
           "keras.losses.MeanSquaredError()(Y, Y_hat)",
           'keras.losses.MeanSquaredError(reduction="sum")(Y, Y_hat)',
           ("diverges", 0, "cost", ""), SHORT),
    Mutant("tf_steps_minus_1", "tensorflow_impl.py",
           "off-by-one in the step loop: range(ctx.steps - 1)",
           "xor_hidden_layer", "tensorflow",
           "trace.spans(ctx.steps)", "trace.spans(ctx.steps - 1)",
           ("one_sided", 2, "W1", "numpy"), SHORT),
    Mutant("tf_float32_loss", "tensorflow_impl.py",
           "silent float32 in a float64 run: the training loss given dtype='float32'",
           "hours_studied", "tensorflow",
           "mse = keras.losses.MeanSquaredError(dtype=ctx.dtype)",
           'mse = keras.losses.MeanSquaredError(dtype="float32")',
           ("diverges", 0, "cost", ""), SHORT),
    Mutant("tf_grad_of_wrong_parameter", "tensorflow_impl.py",
           "the weight's gradient recorded as the bias's",
           "hours_studied", "tensorflow",
           "trace.training(costs, slopes, updated)", "trace.training(costs, [slopes[0], slopes[0]], updated)",
           ("diverges", 0, "grad.biases", "0,0"), SHORT),
    Mutant("tf_momentum_on", "tensorflow_impl.py",
           "momentum left on in Keras SGD: the same first update, a different second",
           "logistic_nll", "tensorflow",
           "keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate)",
           "keras.optimizers.SGD(learning_rate=ctx.hyper.learning_rate, momentum=0.9)",
           ("diverges", 1, "w", "0,0"), SHORT),
    Mutant("tf_tanh_for_sigmoid", "tensorflow_impl.py",
           "tanh for the output sigmoid",
           "test_scores", "tensorflow",
           "keras.activations.sigmoid(self.z3)", "keras.activations.tanh(self.z3)",
           ("diverges", 0, "yHat", "0,0"), SHORT),
    Mutant("tf_wrong_data_point", "tensorflow_impl.py",
           "off-by-one in the data order: each step trains on the next step's point",
           "logistic_nll", "tensorflow",
           "int(order[step % len(order)])", "int(order[(step + 1) % len(order)])",
           ("diverges", 0, "cost", ""), SHORT),
    Mutant("toml_nonsquare_transpose_missing", "example.toml",
           "[layout] forgets the Dense kernel (2, 3) is W1 (3, 2) transposed: refused at ctx.load",
           "xor_hidden_layer", "tensorflow",
           '              "W1", "W2"]', '              "W2"]',
           ("raised", 0, "loading 'W1': a start value of shape (3, 2) does not fit a parameter of shape (2, 3)"),
           SHORT),

    # --- JAX mirrors ------------------------------------------------------------------
    Mutant("jax_mean_for_sum", "jax_impl.py",
           "mean for sum: the half squares averaged where the series' cost sums them",
           "test_scores", "jax",
           "return jnp.sum(optax.losses.l2_loss(yHat, y))",
           "return jnp.mean(optax.losses.l2_loss(yHat, y))",
           ("diverges", 0, "delta3", "0,0"), SHORT),
    Mutant("jax_updated_params_dropped", "jax_impl.py",
           "the jitted step's updated parameters discarded (JAX arrays are immutable): nothing trains",
           "hours_studied", "jax",
           "        return (params, opt_state), (cost, slopes, params)\n",
           "        return (carry[0], opt_state), (cost, slopes, carry[0])\n",
           ("diverges", 0, "weights", "0,0"), SHORT),
    Mutant("jax_cost_after_update", "jax_impl.py",
           "the cost recorded from the dict the jitted step returned, already updated",
           "logistic_nll", "jax",
           "        return (params, opt_state), (cost, grads, params)\n",
           "        return (params, opt_state), (nll(params, *point), grads, params)\n",
           ("diverges", 0, "cost", ""), SHORT),
    Mutant("jax_float32_weights", "jax_impl.py",
           "silent float32 in a float64 run: W held as jnp.float32, its start value rounded",
           "or_batch", "jax",
           "W=jax.ShapeDtypeStruct((2, 1), ctx.dtype)", "W=jax.ShapeDtypeStruct((2, 1), jnp.float32)",
           ("diverges", 0, "Z", "0,1"), SHORT),
    Mutant("jax_grad_of_closure", "jax_impl.py",
           "the loss closes over the step's params, not the differentiated p: every gradient zero",
           "xor_feature_cross", "jax",
           "jax.value_and_grad(lambda p: compute_cost(Y, forward(p, X)[-1]))(params)",
           "jax.value_and_grad(lambda p: compute_cost(Y, forward(params, X)[-1]))(params)",
           ("diverges", 0, "grad.W", "0,0"), SHORT),
    Mutant("jax_grad_wrong_argnum", "jax_impl.py",
           "jax.grad of the wrong argument: dc/da (= b) recorded as dc/db (= a)",
           "computational_graph", "jax",
           "dc_db = jax.grad(node_c, argnums=1)(a, b)", "dc_db = jax.grad(node_c, argnums=0)(a, b)",
           ("diverges", 0, "dc/db", "")),
    Mutant("jax_fused_mean_for_sum", "jax_impl.py",
           "mean for sum: the fused crossentropy averaged over the cases, halving dL/dZ",
           "loss_derivatives", "jax",
           "gradient(lambda Z: jnp.sum(optax.losses.softmax_cross_entropy(Z, Y)), Z)",
           "gradient(lambda Z: jnp.mean(optax.losses.softmax_cross_entropy(Z, Y)), Z)",
           ("diverges", 0, "d_nllm_dz", "0,0")),
    # --- NumPy references -------------------------------------------------------------
    Mutant("numpy_sigmoid_prime_1_plus_A", "numpy_impl.py",
           "sigmoid' written A * (1 + A) in the hand-written backward pass",
           "xor_hidden_layer", "torch",
           "self.A * complement)", "self.A * (1.0 + self.A))",
           ("diverges", 0, "dA2_dZ2", "0,0"), SHORT),
    Mutant("numpy_missing_1_over_m", "numpy_impl.py",
           "missing 1/n in the MSE's backward pass (the cost keeps its mean)",
           "hours_studied", "torch",
           "2 * (y_pred - y_true) / n_elements", "2 * (y_pred - y_true)",
           ("diverges", 0, "grad.weights", "0,0"), SHORT),
    Mutant("numpy_bias_grad_mean", "numpy_impl.py",
           "mean for sum in the bias gradient",
           "hours_studied", "torch",
           "dC_dyhat.sum(axis=0, keepdims=True)", "dC_dyhat.mean(axis=0, keepdims=True)",
           ("diverges", 0, "mae_slope_b", "0,0"), SHORT),
    Mutant("numpy_update_missing_1_over_n", "numpy_impl.py",
           "missing 1/n in one layer's update, W3 <- W3 - alpha dJ/dW3",
           "car_price", "torch",
           'net.W3 - alpha * (1 / n) * grads["W3"]', 'net.W3 - alpha * grads["W3"]',
           ("diverges", 0, "W3", "0,0")),
    Mutant("numpy_square_transpose", "numpy_impl.py",
           "W1.T for W1 in the reference's forward pass; W1 is 3x3, so it runs",
           "car_price_no_bias", "torch",
           'record("Z2", np.dot(X, self.W1))', 'record("Z2", np.dot(X, self.W1.T))',
           ("diverges", 0, "Z2", "0,0")),
    Mutant("numpy_tanh_prime_unsquared", "numpy_impl.py",
           "tanh' written 1 - tanh(z), the square forgotten",
           "car_price", "torch",
           "1.0 - np.square(np.tanh(z))", "1.0 - np.tanh(z)",
           ("diverges", 0, "dtanh_Z4", "0,0")),
    Mutant("numpy_error_sign", "numpy_impl.py",
           "the output error's sign dropped: delta3 = (y - yHat) f'(z3)",
           "test_scores", "torch",
           "np.multiply(-(y - self.yHat),", "np.multiply((y - self.yHat),",
           ("diverges", 0, "delta3", "0,0"), SHORT),
    Mutant("numpy_cost_after_update", "numpy_impl.py",
           "the cost recorded after the update",
           "test_scores", "torch",
           "        trace.cost(NN.costFunction(X, y))\n"
           "        dJdW1, dJdW2 = NN.costFunctionPrime(X, y)\n"
           "        dJdW1 = trace.grad(\"W1\", dJdW1)\n"
           "        dJdW2 = trace.grad(\"W2\", dJdW2)\n"
           "        NN.W1 = trace.param(\"W1\", NN.W1 - learning_rate * dJdW1)\n"
           "        NN.W2 = trace.param(\"W2\", NN.W2 - learning_rate * dJdW2)\n",
           "        dJdW1, dJdW2 = NN.costFunctionPrime(X, y)\n"
           "        dJdW1 = trace.grad(\"W1\", dJdW1)\n"
           "        dJdW2 = trace.grad(\"W2\", dJdW2)\n"
           "        NN.W1 = trace.param(\"W1\", NN.W1 - learning_rate * dJdW1)\n"
           "        NN.W2 = trace.param(\"W2\", NN.W2 - learning_rate * dJdW2)\n"
           "        trace.cost(NN.costFunction(X, y))\n",
           ("diverges", 0, "cost", ""), SHORT),
    Mutant("numpy_wrong_data_point", "numpy_impl.py",
           "off-by-one in the data order of the reference",
           "logistic_nll", "torch",
           "i = int(order[step % len(order)])", "i = int(order[(step + 1) % len(order)])",
           ("diverges", 0, "cost", ""), SHORT),

    # --- the harness ------------------------------------------------------------------
    # A lenient comparison passes every correct example: these two survived (the whole
    # catalogue passed, exit 0) until `repro check` began with parity.self_check (dfbcea8),
    # which plants errors the comparison must find before any example runs.
    Mutant("parity_bound_x1e6", "reproductions/parity.py",
           "the parity bound multiplied by 1e6",
           "xor_hidden_layer", "torch",
           "bound = size * tolerance.rtol\n", "bound = size * tolerance.rtol * 1e6\n",
           ("self_check", "float64", "a cost 1e-9 off", 1), SHORT),
    Mutant("parity_ok_always_true", "reproductions/parity.py",
           "no record ever found outside the bound (always agrees)",
           "xor_hidden_layer", "torch",
           "failing = np.flatnonzero(row_max > bound)\n", "failing = np.flatnonzero(row_max != row_max)\n",
           ("self_check", "float64", "a cost 1e-9 off", 1), SHORT),
    # A comparison sized wrongly fails honest runs, but which run and where is a matter of
    # the CPU's last bits (parity_size_not_cumulative failed hours_studied at step 43 on
    # one CPU, 50-55 on another, and never with SIMD lowered): the self-check plants
    # differences of 64 roundings of what the policy sizes them by, which it must accept.
    Mutant("parity_bound_without_size", "reproductions/parity.py",
           "the bound taken absolute, 128 eps, without the quantity's size",
           "hours_studied", "torch",
           "bound = size * tolerance.rtol\n", "bound = np.ones_like(size) * tolerance.rtol\n",
           ("self_check_accepts", "float64", "a cost 64 roundings off", 0, "cost"), SHORT),
    Mutant("parity_size_not_cumulative", "reproductions/parity.py",
           "the size of each record its own largest value, not the largest so far",
           "hours_studied", "torch",
           "np.fmax(np.fmax.accumulate(np.fmax(largest, 0.0)), ref.scale)",
           "np.fmax(np.fmax(largest, 0.0), ref.scale)",
           ("self_check_accepts", "float64", "a fallen gradient 64 roundings of the largest so far off",
            2, "grad.W"), SHORT),
    Mutant("parity_scale_ignored", "reproductions/parity.py",
           "a record's scale ignored: a cancelled value judged against itself",
           "hours_studied", "torch",
           "np.fmax(np.fmax.accumulate(np.fmax(largest, 0.0)), ref.scale)",
           "np.fmax.accumulate(np.fmax(largest, 0.0))",
           ("self_check_accepts", "float64", "a cancelled value 64 roundings of its scale off", 0, "change"),
           SHORT),
    Mutant("claims_unit_one_decimal_coarser", "reproductions/claims.py",
           "off-by-one in printed precision: a printed string judged one decimal coarser",
           "car_price", "numpy",
           "return Decimal(10) ** printed.as_tuple().exponent / 2\n",
           "return Decimal(10) ** (printed.as_tuple().exponent + 1) / 2\n",
           ("claim_failed", "normalised_50k", 0, [])),
    Mutant("claims_unit_one_decimal_finer", "reproductions/claims.py",
           "off-by-one in printed precision: a printed string judged one decimal finer",
           "hours_studied", "numpy",
           "return Decimal(10) ** printed.as_tuple().exponent / 2\n",
           "return Decimal(10) ** (printed.as_tuple().exponent - 1) / 2\n",
           ("claim_failed", "init.weights", 0, [0, 0]), SHORT),
    Mutant("claims_whole_unit", "reproductions/claims.py",
           "a printed value allowed a whole unit of its last digit, not half",
           "car_price", "numpy",
           "return Decimal(10) ** printed.as_tuple().exponent / 2\n",
           "return Decimal(10) ** printed.as_tuple().exponent\n",
           ("claim_failed", "normalised_50k", 0, [])),
    Mutant("claims_significant_digits_off_by_one", "reproductions/claims.py",
           "off-by-one in significant digits: 'about 610' (2 digits) judged at 3",
           "hours_studied", "numpy",
           "printed.adjusted() - claim.significant_digits + 1)",
           "printed.adjusted() - claim.significant_digits)",
           ("claim_failed", "slope_w", 0, []), SHORT),
    Mutant("claims_replay_one_decimal_fewer", "reproductions/claims.py",
           "the rounded replay rounds each printed value one decimal short of its print",
           "xor_hidden_layer", "numpy",
           "return max(0, -Decimal(claim.printed).as_tuple().exponent)",
           "return max(0, -Decimal(claim.printed).as_tuple().exponent - 1)",
           ("claim_failed", "Z2", 0, [0, 1]), SHORT),
    Mutant("trace_layout_not_translated", "reproductions/trace.py",
           "the trace records a transposed framework array as the framework holds it",
           "test_scores", "torch",
           "        if name in self.transposed:\n            array = array.T\n", "",
           ("one_sided", 0, "W1", "numpy"), SHORT),
    Mutant("load_ignores_layout", "reproductions/execute.py",
           "ctx.load hands the source's layout to every framework, [layout] unread",
           "test_scores", "torch",
           "return array.T if name in self.trace.transposed else array",
           "return array",
           ("raised", 0, "loading 'W1': a start value of shape (2, 3) does not fit a parameter of shape (3, 2)"),
           SHORT),
    Mutant("tf_adapter_floatx_left_float32", "frameworks/tensorflow_adapter.py",
           "the TensorFlow adapter leaves Keras' floatx at float32: SGD's rate rounded to float32",
           "hours_studied", "tensorflow",
           "    keras.backend.set_floatx(dtype)\n", "",
           ("diverges", 0, "weights", "0,0"), SHORT),
]

def diverges(framework, step, quantity, index=None):
    """``first divergence <id> <fw>: step N, <quantity>[index]: numpy ... vs <fw> ...``;
    ``step`` a number or a pattern, ``quantity`` None for any gradient, ``index`` "" for a
    scalar and None for any."""
    name = r"grad\.\w+" if quantity is None else re.escape(quantity)
    where = r"(\[[0-9,]*\])?" if index is None else re.escape(f"[{index}]") if index else ""
    return (rf"first divergence {ID} {framework}: step {step}, {name}{where}: "
            rf"numpy \S+ vs {framework} ")


def first(phrase):
    """From the copy's FAILED header to the first line that starts with ``phrase``."""
    return rf"{ID} FAILED (?:(?!{phrase}).)*{phrase} "


def one_sided(framework, step, quantity, side):
    """The first of the (sorted) records only one side made."""
    return (rf"{first('recorded by one side only')}{ID} {framework}: step {step} "
            rf"{re.escape(quantity)} \(only {side}\)")


def claim_failed(framework, quantity, step, index):
    """The first failed claim: ``claim failed <where>: <quantity>[index] step N: printed ...``
    (claims are judged on NumPy's float64 run, whatever the framework)."""
    where = f"[{','.join(map(str, index))}]" if index else ""
    return (rf"{first('claim failed')}.*?: {re.escape(quantity + where)} step {step}: printed ")


def raised(framework, step, message):
    return rf"{ID}: the {framework} implementation raised \w+ at step {step}: {re.escape(message)}"


def self_check(framework, dtype, what, step):
    """The comparison's own check, before any example: its first line
    ``the comparison itself is broken: <dtype>: <planted error> at step N is not found``."""
    return (rf"^the comparison itself is broken: {dtype}: {re.escape(what)} at step {step} "
            "is not found")


def self_check_accepts(framework, dtype, what, step, quantity):
    """The comparison's own check rejects a planted difference it must accept:
    ``the comparison itself is broken: <dtype>: <planted> is not accepted (step N, <quantity>)``."""
    return (rf"^the comparison itself is broken: {dtype}: {re.escape(what)} is not accepted "
            rf"\(step {step}, {re.escape(quantity)}\)")


FAILURES = {"diverges": diverges, "one_sided": one_sided, "claim_failed": claim_failed,
            "raised": raised, "self_check": self_check, "self_check_accepts": self_check_accepts}


assert len({m.id for m in MUTANTS}) == len(MUTANTS), "mutant ids must be distinct"
KEYS = list(dict.fromkeys(m.key for m in MUTANTS))


def mutate(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}, not once"
    path.write_text(text.replace(old, new))


def normalized(text: str) -> str:
    return " ".join(text.split())


def check_arguments(examples: Path, ids, key, out: Path) -> list[str]:
    framework, args = key
    frameworks = "numpy" if framework == "numpy" else f"numpy,{framework}"
    return ["--examples-dir", str(examples), "check", *ids, "--frameworks", frameworks,
            "--jobs", "1", "--out", str(out), *args]


def check(examples: Path, ids, key, out: Path) -> subprocess.CompletedProcess:
    """`repro check` of mutated example folders, in this process (the harness is this
    checkout's; each folder's implementations are loaded from the folder)."""
    return repro(*check_arguments(examples, ids, key, out))


def check_with_harness(project: Path, ids, key, out: Path) -> subprocess.CompletedProcess:
    """`repro check` in a new process that imports the mutated copy of the harness in
    ``project`` (and asserts it did), forked from a server that has NumPy and PyTorch
    imported already (``fresh_process``)."""
    return repro_process(*check_arguments(project / "reproductions" / "examples", ids, key, out),
                         cwd=project, harness=project)


@dataclass(frozen=True)
class Run:
    done: subprocess.CompletedProcess
    blocks: dict | None  # copy id -> its part of the output, whitespace collapsed
    out: Path


def blocks_of(stdout: str, ids) -> dict:
    """Each example's part of the output: from its header line (``<id> passed``, ``<id>
    FAILED`` or ``<id>: <error>``) to the next one. None when the comparison's own check
    failed, and no example ran."""
    if stdout.startswith(BROKEN):
        return None
    starts = re.compile(rf"^(?=({'|'.join(map(re.escape, ids))})(?: passed| FAILED|: ))", re.M)
    parts = starts.split(stdout)
    found = {parts[i]: normalized(parts[i + 1]) for i in range(1, len(parts) - 1, 2)}
    assert set(found) == set(ids), f"no output for {set(ids) - set(found)}:\n{stdout}"
    return found


_RUNS = {}  # key -> Run, in this process


def shared_run(key, tmp_path_factory) -> Run:
    """One `repro check` of every example mutant of ``key``, beside an unchanged copy of
    each example any mutant of ``key`` (harness mutants too) is checked on.

    Run once per session: pytest-xdist workers share the base temporary folder's parent,
    and the first to need a run makes it under a lock there while the others wait for
    its output (the tests of one run are one ``xdist_group``, so that this is rare)."""
    if key in _RUNS:
        return _RUNS[key]
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "mutant-runs"
    shared.mkdir(exist_ok=True)
    name = f"run-{KEYS.index(key)}"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        saved = shared / f"{name}.json"
        if not saved.exists():
            done = _shared_run(key, shared / name)
            saved.write_text(json.dumps([done.returncode, done.stdout, done.stderr]))
    returncode, stdout, stderr = json.loads(saved.read_text())
    done = subprocess.CompletedProcess([], returncode, stdout, stderr)
    ids = [*controls_of(key), *(m.copy_id for m in MUTANTS if m.key == key and not m.in_harness)]
    _RUNS[key] = Run(done, blocks_of(stdout, ids), shared / name / "results")
    return _RUNS[key]


def controls_of(key) -> list[str]:
    """The examples the mutants of ``key`` are checked on, to be checked unchanged."""
    return list(dict.fromkeys(m.example for m in MUTANTS if m.key == key))


def _shared_run(key, root: Path) -> subprocess.CompletedProcess:
    examples = root / "examples"
    mutants = [m for m in MUTANTS if m.key == key and not m.in_harness]
    controls = controls_of(key)
    for example in controls:
        shutil.copytree(EXAMPLES / example, examples / example,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for m in mutants:
        folder = examples / m.copy_id
        shutil.copytree(EXAMPLES / m.example, folder, ignore=shutil.ignore_patterns("__pycache__"))
        toml = folder / "example.toml"
        text = toml.read_text()
        assert re.match(rf'id = "{m.example}"\n', text), f"{toml} does not open with its id"
        toml.write_text(text.replace(f'id = "{m.example}"\n', f'id = "{m.copy_id}"\n', 1))
        mutate(folder / m.file, m.old, m.new)
    return check(examples, [*controls, *(m.copy_id for m in mutants)], key, root / "results")


def harness_copy(root: Path, file: str | None = None, old: str = "", new: str = "") -> Path:
    """``reproductions/`` and ``frameworks/`` copied whole into ``root/project``, with
    ``old`` replaced by ``new`` in ``file`` (a path in the copy) where one is given."""
    project = root / "project"
    for package in HARNESS_PACKAGES:
        shutil.copytree(REPO / package, project / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    if file is not None:
        mutate(project / file, old, new)
    return project


def harness_run(mutant: Mutant, root: Path) -> Run:
    """`repro check` of the mutant's example with a mutated copy of the harness."""
    project = harness_copy(root, mutant.file, mutant.old, mutant.new)
    done = check_with_harness(project, [mutant.example], mutant.key, root / "results")
    return Run(done, blocks_of(done.stdout, [mutant.example]), root / "results")


def group(key) -> pytest.MarkDecorator:
    """The tests of one shared run go to one pytest-xdist worker, which makes the run
    once (another would wait for it)."""
    return pytest.mark.xdist_group(f"mutant-run-{KEYS.index(key)}")


@pytest.mark.parametrize("mutant", [
    pytest.param(m, id=m.id, marks=() if m.in_harness else group(m.key)) for m in MUTANTS])
def test_the_mutant_is_killed(tmp_path_factory, mutant):
    if mutant.in_harness:
        run = harness_run(mutant, tmp_path_factory.mktemp(mutant.id))
    else:
        run = shared_run(mutant.key, tmp_path_factory)
        assert run.blocks is not None, f"this checkout fails its own check:\n{run.done.stdout}"
        control = run.blocks[mutant.example]
        assert control.startswith(f"{mutant.example} passed"), (
            f"the unchanged copy fails in the same run, so the mutant proves nothing:\n{control}")
    if run.blocks is None:  # the comparison failed its own check: the whole output
        output, failed = normalized(run.done.stdout), True
    else:  # a failed example (or one whose implementation raised) makes the check exit 1
        output = run.blocks[mutant.copy_id]
        failed = output.startswith((f"{mutant.copy_id} FAILED", f"{mutant.copy_id}: "))
    exit_status = run.done.returncode
    assert failed and exit_status == 1, (
        f"SURVIVED (exit {exit_status}):\n{output}\n{run.done.stderr[-2000:]}")
    expected = mutant.pattern()
    assert re.search(expected, output), f"it fails, but not as {expected!r} says:\n{output}"


@pytest.mark.parametrize("key", [pytest.param(key, id=f"{key[0]}{''.join(key[1])}", marks=group(key))
                                 for key in KEYS])
def test_the_unchanged_copies_pass(tmp_path_factory, key):
    """Every example the mutants of ``key`` are checked on passes unchanged, in the
    same run as those mutants: a harness mutant is killed only while this holds."""
    run = shared_run(key, tmp_path_factory)
    assert run.blocks is not None, f"this checkout fails its own check:\n{run.done.stdout}"
    for example in controls_of(key):
        assert run.blocks[example].startswith(f"{example} passed"), run.blocks[example]


LR_KEY = next(m.key for m in MUTANTS if m.id == "torch_lr_1e-6")


# Until b7e6f15 every parity failure ended in a TypeError in report.write_index (a failed
# value's tolerance_used was null in summary.json): the check's exit 1 came from the
# traceback, and results/README.md was never written.
@group(LR_KEY)
def test_a_failing_check_reports_and_writes_its_index(tmp_path_factory):
    """Exit status 1 must come from the verdict, not from a crash after it: the shared
    run of torch_lr_1e-6 fails (its mutants) and still writes results/README.md."""
    run = shared_run(LR_KEY, tmp_path_factory)
    assert run.done.returncode == 1
    assert "Traceback" not in run.done.stderr, run.done.stderr[-3000:]
    assert (run.out / "README.md").is_file()
