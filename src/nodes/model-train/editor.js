(function () {
    var NUMBER_FIELDS = ["every", "maxSamples", "trees", "maxDepth", "seed", "testFraction", "keepVersions"];
    function wholeAtLeast(min) {
        return function (v) { return v === "" || v === undefined || (Number.isInteger(Number(v)) && Number(v) >= min); };
    }
    RED.nodes.registerType("model-train", {
        category: "IoT AI",
        color: "#C0DEED",
        defaults: {
            name: { value: "" },
            model: { value: "", type: "ml-model" },
            modelName: { value: "" },
            every: { value: 0, validate: wholeAtLeast(0) },
            maxSamples: { value: 10000, validate: wholeAtLeast(10) },
            trees: { value: 50, validate: function (v) { return wholeAtLeast(1)(v) && (v === "" || Number(v) <= 1000); } },
            maxDepth: { value: "", validate: wholeAtLeast(0) },
            seed: { value: 1, validate: wholeAtLeast(-2147483648) },
            testFraction: { value: 0.2, validate: function (v) { return v === "" || (isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 0.9); } },
            keepVersions: { value: 5, validate: wholeAtLeast(0) },
            exportPath: { value: "training-data.csv" }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-model.svg",
        paletteLabel: "model train",
        label: function () { return this.name || "model train"; },
        labelStyle: function () { return this.name ? "node_label_italic" : ""; },
        outputLabels: function (i) { return this._(i === 0 ? "model-train.outputs.trained" : "model-train.outputs.errors"); },
        oneditprepare: function () {
            IotAiEditor.numbers.prepare(this, NUMBER_FIELDS);
        },
        oneditsave: function () {
            IotAiEditor.numbers.save(this, NUMBER_FIELDS);
        }
    });
})();
