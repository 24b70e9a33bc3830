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
            $("#node-config-input-seed").prop("checked", !!(node.path && node.bundled));
            function refresh() {
                var bundled = source.val() === "bundled";
                var seeded = $("#node-config-input-seed").is(":checked");
                $(".iot-ai-model-bundled").toggle(bundled || seeded);
                $(".iot-ai-model-file").toggle(!bundled);
                // A bundled model on its own is read-only: model-train refuses it (docs/nodes/ml-model.md).
                $(".iot-ai-model-read-only").toggle(bundled);
            }
            source.on("change", refresh);
            $("#node-config-input-seed").on("change", refresh);
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
            } else if (!$("#node-config-input-seed").is(":checked")) {
                $("#node-config-input-bundled").empty().append($("<option>").val("").text("")).val("");
            }
        }
    });
})();
