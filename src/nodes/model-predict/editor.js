(function () {
    RED.nodes.registerType("model-predict", {
        category: "IoT AI",
        color: "#C0DEED",
        defaults: {
            name: { value: "" },
            model: { value: "", type: "ml-model" },
            property: { value: "payload.features", required: true }
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
        outputLabels: function (i) { return this._(i === 0 ? "model-predict.outputs.predictions" : "model-predict.outputs.errors"); },
        oneditprepare: function () {
            $("#node-input-property").typedInput({ types: ["msg"] });
        }
    });
})();
