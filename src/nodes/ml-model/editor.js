(function () {
    var say = IotAiEditor.say;
    var BUNDLED_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
    RED.nodes.registerType("ml-model", {
        category: "config",
        defaults: {
            name: { value: "" },
            bundled: { value: "", validate: function (v, opt) {
                return typeof v !== "string" || v.trim() === "" || BUNDLED_NAME.test(v.trim()) ? true : say(this, "ml-model.validation.bundled");
            } },
            // A file model needs its path; with a bundled model alone the path stays empty.
            path: { value: "", validate: function (v, opt) {
                var blank = function (x) { return typeof x !== "string" || x.trim() === ""; };
                return !blank(v) || !blank(this.bundled) ? true : say(this, "ml-model.validation.path");
            } },
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
                checks.run();
            });
            // The path and bundled fields as the dialog will save them (oneditsave): the source decides.
            var checks = IotAiEditor.validation.live(node, {
                read: {
                    bundled: function () { return source.val() === "bundled" || $("#node-config-input-seed").is(":checked") ? select.val() || "" : ""; },
                    path: function () { return source.val() === "bundled" ? "" : $("#node-config-input-path").val(); }
                }
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
