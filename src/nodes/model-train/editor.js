(function () {
    var NUMBER_FIELDS = ["every", "maxSamples", "maxMemory", "trees", "maxDepth", "seed", "testFraction", "keepVersions", "warmup", "maxDevices", "contamination", "threshold", "adaptAfter", "horizon", "feedbackLookback", "feedbackWeight", "feedbackCap", "keptWeight"];
    var V = IotAiEditor.valid;
    var say = IotAiEditor.say;
    var CORE = IotAiEditor.core.train; // from src/core/model (the build writes it)
    var N = CORE.numbers; // each number's default and bounds, from src/core/model/train/train-config.ts
    function num(name) { return V.number(N[name].bounds); }
    IotAiEditor.register("model-train", {
        numbers: NUMBER_FIELDS,
        color: "#C0DEED",
        defaults: {
            model: { value: "", type: "ml-model" },
            modelName: { value: "" },
            task: { value: CORE.tasks[0], validate: V.choice(CORE.tasks) },
            every: { value: N.every.default, validate: num("every") },
            maxSamples: { value: N.maxSamples.default, validate: function (v, opt) {
                var result = num("maxSamples").call(this, v, opt);
                if (result !== true) { return result; }
                var warmup = this.warmup === "" || this.warmup === undefined ? N.warmup.default : Number(this.warmup);
                return this.task === "anomaly" && v !== "" && isFinite(warmup) && Number(v) < warmup ? say(this, "model-train.validation.maxSamplesWarmup", { warmup: warmup }) : true;
            } },
            maxMemory: { value: N.maxMemory.default, validate: num("maxMemory") },
            promote: { value: "better", validate: V.choice(CORE.promote) },
            feedbackLookback: { value: N.feedbackLookback.default, validate: num("feedbackLookback") },
            feedbackWeight: { value: N.feedbackWeight.default, validate: num("feedbackWeight") },
            feedbackCap: { value: N.feedbackCap.default, validate: num("feedbackCap") },
            keptWeight: { value: N.keptWeight.default, validate: num("keptWeight") },
            feedbackField: { value: "" },
            tune: { value: false, validate: function (v, opt) { return !(v === true || v === "true") || this.learner !== "boosting" ? true : say(this, "model-train.validation.tuneBoosting"); } },
            learner: { value: CORE.learners[0], validate: V.choice(CORE.learners) },
            trees: { value: N.trees.default, validate: num("trees") },
            maxDepth: { value: "", validate: num("maxDepth") }, // blank: no limit (0)
            seed: { value: N.seed.default, validate: num("seed") },
            testFraction: { value: N.testFraction.default, validate: num("testFraction") },
            keepVersions: { value: N.keepVersions.default, validate: num("keepVersions") },
            exportPath: { value: "training-data.csv" },
            warmup: { value: N.warmup.default, validate: num("warmup") },
            update: { value: CORE.updates[0], validate: V.choice(CORE.updates) },
            adaptAfter: { value: N.adaptAfter.default, validate: function (v, opt) {
                var result = num("adaptAfter").call(this, v, opt);
                if (result !== true) { return result; }
                return v === "" || v === undefined || Number(v) === 0 || Number(v) >= N.warmup.bounds.min ? true : say(this, "model-train.validation.adaptAfter");
            } },
            scope: { value: CORE.scopes[0], validate: V.choice(CORE.scopes) },
            maxDevices: { value: N.maxDevices.default, validate: num("maxDevices") },
            method: { value: "auto", validate: V.choice(CORE.anomalyMethods) },
            contamination: { value: N.contamination.default, validate: num("contamination") },
            threshold: { value: "", validate: num("threshold") },
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
