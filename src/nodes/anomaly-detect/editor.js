(function () {
    var NUMBER_FIELDS = ["memory", "threshold", "learn", "refractory", "refractoryTime", "average", "smoothing", "neighbours", "reference", "embed", "maxKeys"];
    var V = IotAiEditor.valid;
    var CORE = IotAiEditor.core.anomaly; // from src/core/anomaly (the build writes it)
    var D = CORE.defaults;
    function whole(min, max) { return V.number({ integer: true, min: min, max: max }); }
    RED.nodes.registerType("anomaly-detect", {
        category: "IoT AI",
        color: "#C0DEED",
        defaults: {
            name: { value: "" },
            version: { value: 1 }, // config version: src/nodes/shared/migrations.ts
            method: { value: D.method, validate: V.choice(CORE.methods) },
            memory: { value: D.memory, validate: V.number({ min: 2, max: 1000000 }) },
            threshold: { value: D.threshold, validate: V.number({ min: 0.5, max: 1 }) },
            learn: { value: D.learn, validate: whole(0, 1000000) },
            refractory: { value: D.refractory, validate: whole(0, 1000000) },
            refractoryTime: { value: D.refractoryTime, validate: V.number({ min: 0 }) },
            average: { value: D.average, validate: whole(1, 1000) },
            smoothing: { value: D.smoothing, validate: V.number({ min: 0.01, max: 1 }) },
            neighbours: { value: D.neighbours, validate: whole(1, 32) },
            reference: { value: D.reference, validate: whole(4, 1024) },
            embed: { value: D.embed, validate: whole(1, 32) },
            features: { value: "" },
            maxKeys: { value: D.maxKeys, validate: whole(1, 10000000) },
            persist: { value: "" }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-anomaly.svg",
        paletteLabel: "anomaly",
        label: function () { return this.name || "anomaly: " + (this.method || D.method); },
        labelStyle: function () { return this.name ? "node_label_italic" : ""; },
        outputLabels: function (i) { return this._(i === 0 ? "anomaly-detect.outputs.predictions" : "anomaly-detect.outputs.rejects"); },
        oneditprepare: function () {
            IotAiEditor.defaults.fill(this); // properties an older flow lacks: their defaults, as at runtime
            var node = this;
            IotAiEditor.numbers.prepare(node, NUMBER_FIELDS);
            var persist = $("#node-input-persist");
            persist.append($("<option>").val("").text(node._("anomaly-detect.persist.off")));
            var stores = (RED.settings.context && RED.settings.context.stores) || [];
            stores.forEach(function (s) { persist.append($("<option>").val(s).text(s)); });
            if (node.persist && stores.indexOf(node.persist) === -1) { persist.append($("<option>").val(node.persist).text(node.persist)); }
            persist.val(node.persist || "");
            function refresh() {
                var method = $("#node-input-method").val();
                $(".iot-ai-anomaly-forecast").toggle(method === "forecast");
                $(".iot-ai-anomaly-knn").toggle(method === "knn-cad");
            }
            $("#node-input-method").on("change", refresh);
            refresh();
            IotAiEditor.validation.live(node);
        },
        oneditsave: function () {
            IotAiEditor.numbers.save(this, NUMBER_FIELDS);
        }
    });
})();
