(function () {
    var NUMBER_FIELDS = ["memory", "threshold", "learn", "refractory", "refractoryTime", "average", "smoothing", "neighbours", "reference", "embed", "maxKeys"];
    var V = IotAiEditor.valid;
    var CORE = IotAiEditor.core.anomaly; // from src/core/anomaly (the build writes it)
    var D = CORE.defaults;
    function whole(min, max) { return V.number({ integer: true, min: min, max: max }); }
    IotAiEditor.register("anomaly-detect", {
        numbers: NUMBER_FIELDS,
        color: "#C0DEED",
        defaults: {
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
        outputLabels: function (i) { return this._(i === 0 ? "anomaly-detect.outputs.predictions" : "anomaly-detect.outputs.rejects"); },
        oneditprepare: function () {
            var node = this;
            IotAiEditor.persistStores(node, "#node-input-persist", "anomaly-detect.persist.off");
            function refresh() {
                var method = $("#node-input-method").val();
                $(".iot-ai-anomaly-forecast").toggle(method === "forecast");
                $(".iot-ai-anomaly-knn").toggle(method === "knn-cad");
            }
            $("#node-input-method").on("change", refresh);
            refresh();
            IotAiEditor.validation.live(node);
        }
    });
})();
