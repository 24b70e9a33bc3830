(function () {
    var NUMBER_FIELDS = ["threshold", "likelihoodThreshold", "driftThreshold", "driftWindow", "explain"];
    var V = IotAiEditor.valid;
    var CORE = IotAiEditor.core.predict; // from src/core/model (the build writes it)
    IotAiEditor.register("model-predict", {
        numbers: NUMBER_FIELDS,
        color: "#C0DEED",
        defaults: {
            model: { value: "", type: "ml-model" },
            property: { value: "payload.features", required: true, validate: V.required() },
            threshold: { value: "", validate: V.number(CORE.numbers.threshold.bounds) },
            likelihood: { value: false },
            likelihoodThreshold: { value: CORE.numbers.likelihoodThreshold.default, validate: V.number(CORE.numbers.likelihoodThreshold.bounds) },
            missing: { value: CORE.missing[0], validate: V.choice(CORE.missing) },
            drift: { value: true },
            driftThreshold: { value: CORE.numbers.driftThreshold.default, validate: V.number(CORE.numbers.driftThreshold.bounds) },
            driftWindow: { value: CORE.numbers.driftWindow.default, validate: V.number(CORE.numbers.driftWindow.bounds) },
            driftScope: { value: CORE.driftScopes[0], validate: V.choice(CORE.driftScopes) },
            driftOutput: { value: false },
            outputs: { value: 2 },
            explain: { value: CORE.numbers.explain.default, validate: V.number(CORE.numbers.explain.bounds) }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-model.svg",
        paletteLabel: "predict",
        label: function () {
            if (this.name) { return this.name; }
            var config = RED.nodes.node(this.model);
            return config ? "predict: " + (config.name || config.bundled || config.path) : "model predict";
        },
        outputLabels: function (i) {
            return this._(["model-predict.outputs.predictions", "model-predict.outputs.errors", "model-predict.outputs.drift"][i]);
        },
        oneditprepare: function () {
            $("#node-input-property").typedInput({ types: ["msg"] });
            var toggleLikelihood = function () { $(".iot-ai-likelihood-rows").toggle($("#node-input-likelihood").is(":checked")); };
            $("#node-input-likelihood").on("change", toggleLikelihood);
            toggleLikelihood();
            var toggle = function () { $(".iot-ai-drift-rows").toggle($("#node-input-drift").is(":checked")); };
            $("#node-input-drift").on("change", toggle);
            toggle();
            IotAiEditor.validation.live(this);
        },
        oneditsave: function () {
            // A third output for drift messages only when asked for: existing wiring keeps its two ports.
            this.outputs = $("#node-input-drift").is(":checked") && $("#node-input-driftOutput").is(":checked") ? 3 : 2;
        }
    });
})();
