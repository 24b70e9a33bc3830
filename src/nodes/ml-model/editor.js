(function () {
    RED.nodes.registerType("ml-model", {
        category: "config",
        defaults: {
            name: { value: "" },
            bundled: { value: "" },
            path: { value: "" },
            watch: { value: true }
        },
        paletteLabel: "ml model",
        label: function () { return this.name || this.bundled || this.path || "ml model"; },
        oneditprepare: function () {
            var node = this;
            var select = $("#node-config-input-bundled");
            var source = $("#node-config-input-source");
            source.val(node.path && !node.bundled ? "file" : "bundled");
            function refresh() {
                var bundled = source.val() === "bundled";
                $(".iot-ai-model-bundled").toggle(bundled);
                $(".iot-ai-model-file").toggle(!bundled);
            }
            source.on("change", refresh);
            refresh();
            $.getJSON("iot-ai/bundled-models", function (names) {
                select.empty();
                names.forEach(function (name) { select.append($("<option>").val(name).text(name)); });
                if (node.bundled && names.indexOf(node.bundled) === -1) { select.append($("<option>").val(node.bundled).text(node.bundled)); }
                select.val(node.bundled || names[0] || "");
            });
        },
        oneditsave: function () {
            if ($("#node-config-input-source").val() === "bundled") {
                $("#node-config-input-path").val("");
            } else {
                $("#node-config-input-bundled").empty().append($("<option>").val("").text("")).val("");
            }
        }
    });
})();
