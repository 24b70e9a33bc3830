(function () {
    var NUMBER_FIELDS = ["every", "maxSamples", "maxMemory", "trees", "maxDepth", "seed", "testFraction", "keepVersions", "warmup", "maxDevices", "contamination", "threshold", "adaptAfter", "horizon"];
    var V = IotAiEditor.valid;
    var say = IotAiEditor.say;
    var CORE = IotAiEditor.core.train; // from src/core/model (the build writes it)
    function whole(min, max) { return V.number({ integer: true, min: min, max: max }); }
    IotAiEditor.register("model-train", {
        numbers: NUMBER_FIELDS,
        color: "#C0DEED",
        defaults: {
            model: { value: "", type: "ml-model" },
            modelName: { value: "" },
            task: { value: CORE.tasks[0], validate: V.choice(CORE.tasks) },
            every: { value: 0, validate: whole(0) },
            maxSamples: { value: 10000, validate: function (v, opt) {
                var result = whole(10, 1000000).call(this, v, opt);
                if (result !== true) { return result; }
                var warmup = this.warmup === "" || this.warmup === undefined ? 100 : Number(this.warmup);
                return this.task === "anomaly" && v !== "" && isFinite(warmup) && Number(v) < warmup ? say(this, "model-train.validation.maxSamplesWarmup", { warmup: warmup }) : true;
            } },
            maxMemory: { value: 128, validate: whole(1, 65536) },
            promote: { value: "better", validate: V.choice(CORE.promote) },
            trees: { value: 50, validate: whole(1, 1000) },
            maxDepth: { value: "", validate: whole(0, 64) },
            seed: { value: 1, validate: whole(-2147483648) },
            testFraction: { value: 0.2, validate: V.number({ min: 0, max: 0.9 }) },
            keepVersions: { value: 5, validate: whole(0) },
            exportPath: { value: "training-data.csv" },
            warmup: { value: 100, validate: whole(20) },
            update: { value: CORE.updates[0], validate: V.choice(CORE.updates) },
            adaptAfter: { value: 100, validate: function (v, opt) {
                var result = whole(0).call(this, v, opt);
                if (result !== true) { return result; }
                return v === "" || v === undefined || Number(v) === 0 || Number(v) >= 20 ? true : say(this, "model-train.validation.adaptAfter");
            } },
            scope: { value: CORE.scopes[0], validate: V.choice(CORE.scopes) },
            maxDevices: { value: 100, validate: whole(1, 10000) },
            method: { value: "auto", validate: V.choice(CORE.anomalyMethods) },
            contamination: { value: 0.01, validate: V.number({ min: 0, max: 0.49 }) },
            threshold: { value: "", validate: V.number({ min: 0, max: 1 }) },
            target: { value: "", validate: function (v, opt) {
                // A target is read at a horizon: it needs one (the runtime refuses it otherwise).
                var horizon = this.horizon === undefined ? "" : String(this.horizon).trim();
                return this.task === "anomaly" || !v || String(v).trim() === "" || horizon !== "" ? true : say(this, "model-train.validation.targetHorizon");
            } },
            horizon: { value: "", validate: function (v, opt) {
                if (this.task === "anomaly" || v === undefined || v === null || String(v).trim() === "") { return true; }
                var match = new RegExp(CORE.horizonPattern).exec(String(v));
                return match && Number(match[1]) > 0 ? true : say(this, "model-train.validation.horizon");
            } }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-train.svg",
        paletteLabel: "train",
        label: function () { return this.name || (this.task === "anomaly" ? "anomaly train" : "model train"); },
        outputLabels: function (i) { return this._(i === 0 ? "model-train.outputs.trained" : "model-train.outputs.errors"); },
        oneditprepare: function () {
            $("#node-input-task").val(this.task || "classification");
            // A flow saved before the gate has no promote: it gets better (a worse retrain no longer goes live).
            $("#node-input-promote").val(this.promote || "better");
            function refresh() {
                var anomaly = $("#node-input-task").val() === "anomaly";
                $(".iot-ai-train-anomaly").toggle(anomaly);
                $(".iot-ai-train-labelled").toggle(!anomaly);
                $(".iot-ai-train-forecast-tip").toggle(!anomaly && String($("#node-input-num-horizon").val() || "").trim() !== "");
                $(".iot-ai-train-devices").toggle(anomaly && $("#node-input-scope").val() === "device");
                $(".iot-ai-train-adapt").toggle(anomaly && $("#node-input-update").val() === "rolling");
            }
            $("#node-input-task, #node-input-scope, #node-input-update").on("change", refresh);
            $("#node-input-num-horizon").on("input change", refresh);
            refresh();
            // model-train never writes a bundled model: say so before deploy, which would refuse it.
            function readOnlyTip() {
                var config = RED.nodes.node($("#node-input-model").val());
                $(".iot-ai-train-read-only").toggle(!!(config && config.bundled && !config.path));
            }
            $("#node-input-model").on("change", readOnlyTip);
            readOnlyTip();
            IotAiEditor.validation.live(this);
        }
    });
})();
