(function () {
    var NUMBER_FIELDS = ["threshold", "driftThreshold", "driftWindow"];
    function blankOr(test) {
        return function (v) { return v === "" || v === undefined || v === null || (isFinite(Number(v)) && test(Number(v))); };
    }
    RED.nodes.registerType("model-predict", {
        category: "IoT AI",
        color: "#C0DEED",
        defaults: {
            name: { value: "" },
            version: { value: 1 }, // config version: src/nodes/shared/migrations.ts
            model: { value: "", type: "ml-model" },
            property: { value: "payload.features", required: true },
            threshold: { value: "", validate: blankOr(function (n) { return n >= 0 && n <= 1; }) },
            missing: { value: "reject" },
            drift: { value: true },
            driftThreshold: { value: 0.2, validate: blankOr(function (n) { return n >= 0.001 && n <= 100; }) },
            driftWindow: { value: 500, validate: blankOr(function (n) { return Number.isInteger(n) && n >= 10 && n <= 100000; }) },
            driftScope: { value: "model" },
            driftOutput: { value: false },
            outputs: { value: 2 }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-model.svg",
        paletteLabel: "model predict",
        label: function () {
            if (this.name) { return this.name; }
            var config = RED.nodes.node(this.model);
            return config ? "predict: " + (config.name || config.bundled || config.path) : "model predict";
        },
        labelStyle: function () { return this.name ? "node_label_italic" : ""; },
        outputLabels: function (i) {
            return this._(["model-predict.outputs.predictions", "model-predict.outputs.errors", "model-predict.outputs.drift"][i]);
        },
        oneditprepare: function () {
            IotAiEditor.defaults.fill(this); // properties an older flow lacks: their defaults, as at runtime
            $("#node-input-property").typedInput({ types: ["msg"] });
            IotAiEditor.numbers.prepare(this, NUMBER_FIELDS);
            var toggle = function () { $(".iot-ai-drift-rows").toggle($("#node-input-drift").is(":checked")); };
            $("#node-input-drift").on("change", toggle);
            toggle();
        },
        oneditsave: function () {
            IotAiEditor.numbers.save(this, NUMBER_FIELDS);
            // A third output for drift messages only when asked for: existing wiring keeps its two ports.
            this.outputs = $("#node-input-drift").is(":checked") && $("#node-input-driftOutput").is(":checked") ? 3 : 2;
        }
    });
})();
