(function () {
    var NUMBER_FIELDS = ["every", "maxSamples", "maxMemory", "trees", "maxDepth", "seed", "testFraction", "keepVersions", "warmup", "maxDevices", "contamination", "threshold", "adaptAfter"];
    function wholeAtLeast(min) {
        return function (v) { return v === "" || v === undefined || (Number.isInteger(Number(v)) && Number(v) >= min); };
    }
    function fractionIn(min, max) {
        return function (v) { return v === "" || v === undefined || (isFinite(Number(v)) && Number(v) >= min && Number(v) <= max); };
    }
    RED.nodes.registerType("model-train", {
        category: "IoT AI",
        color: "#C0DEED",
        defaults: {
            name: { value: "" },
            version: { value: 1 }, // config version: src/nodes/shared/migrations.ts
            model: { value: "", type: "ml-model" },
            modelName: { value: "" },
            task: { value: "classification" },
            every: { value: 0, validate: wholeAtLeast(0) },
            maxSamples: { value: 10000, validate: function (v) {
                return wholeAtLeast(10)(v) && !(Number(v) > 1000000) && (this.task !== "anomaly" || v === "" || Number(v) >= Number(this.warmup || 100));
            } },
            maxMemory: { value: 128, validate: function (v) { return wholeAtLeast(1)(v) && (v === "" || v === undefined || Number(v) <= 65536); } },
            promote: { value: "better" },
            trees: { value: 50, validate: function (v) { return wholeAtLeast(1)(v) && (v === "" || v === undefined || Number(v) <= 1000); } },
            maxDepth: { value: "", validate: function (v) { return wholeAtLeast(0)(v) && !(Number(v) > 64); } },
            seed: { value: 1, validate: wholeAtLeast(-2147483648) },
            testFraction: { value: 0.2, validate: fractionIn(0, 0.9) },
            keepVersions: { value: 5, validate: wholeAtLeast(0) },
            exportPath: { value: "training-data.csv" },
            warmup: { value: 100, validate: wholeAtLeast(20) },
            update: { value: "frozen" },
            adaptAfter: { value: 100, validate: function (v) { return wholeAtLeast(0)(v) && (v === "" || v === undefined || Number(v) === 0 || Number(v) >= 20); } },
            scope: { value: "shared" },
            maxDevices: { value: 100, validate: function (v) { return wholeAtLeast(1)(v) && (v === "" || v === undefined || Number(v) <= 10000); } },
            method: { value: "auto" },
            contamination: { value: 0.01, validate: fractionIn(0, 0.49) },
            threshold: { value: "", validate: fractionIn(0, 1) }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-model.svg",
        paletteLabel: "model train",
        label: function () { return this.name || (this.task === "anomaly" ? "anomaly train" : "model train"); },
        labelStyle: function () { return this.name ? "node_label_italic" : ""; },
        outputLabels: function (i) { return this._(i === 0 ? "model-train.outputs.trained" : "model-train.outputs.errors"); },
        oneditprepare: function () {
            IotAiEditor.defaults.fill(this); // properties an older flow lacks: their defaults, as at runtime
            IotAiEditor.numbers.prepare(this, NUMBER_FIELDS);
            $("#node-input-task").val(this.task || "classification");
            // A flow saved before the gate has no promote: it gets better (a worse retrain no longer goes live).
            $("#node-input-promote").val(this.promote || "better");
            function refresh() {
                var anomaly = $("#node-input-task").val() === "anomaly";
                $(".iot-ai-train-anomaly").toggle(anomaly);
                $(".iot-ai-train-labelled").toggle(!anomaly);
                $(".iot-ai-train-devices").toggle(anomaly && $("#node-input-scope").val() === "device");
                $(".iot-ai-train-adapt").toggle(anomaly && $("#node-input-update").val() === "rolling");
            }
            $("#node-input-task, #node-input-scope, #node-input-update").on("change", refresh);
            refresh();
            // model-train never writes a bundled model: say so before deploy, which would refuse it.
            function readOnlyTip() {
                var config = RED.nodes.node($("#node-input-model").val());
                $(".iot-ai-train-read-only").toggle(!!(config && config.bundled && !config.path));
            }
            $("#node-input-model").on("change", readOnlyTip);
            readOnlyTip();
        },
        oneditsave: function () {
            IotAiEditor.numbers.save(this, NUMBER_FIELDS);
        }
    });
})();
