(function () {
    var say = IotAiEditor.say;
    var BUNDLED_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
    var SHOWN_FEATURES = 8;
    /**
     * What the file was detected as (#28): kind, task, trees, features, labels; for an ONNX graph its inputs and
     * whether onnxruntime-node is installed; and what the dialog must still be given (Inputs, Labels).
     */
    function renderDetected(node, box, detected) {
        if (!detected) { return; }
        var parts = [node._("ml-model.kind." + detected.kind)];
        if (detected.task) { parts.push(detected.task); }
        if (detected.trees !== undefined) { parts.push(node._("ml-model.info.trees", { count: detected.trees })); }
        if (detected.features !== null && detected.features !== undefined) { parts.push(node._("ml-model.info.featureCount", { count: detected.features })); }
        $('<div class="iot-ai-model-detected">').text(node._("ml-model.info.detected") + parts.join(" · ")).appendTo(box);
        if (detected.inputs) { $('<div class="iot-ai-model-inputs">').text(node._("ml-model.info.inputs") + detected.inputs).appendTo(box); }
        if (detected.kind === "onnx-graph") {
            $('<div class="iot-ai-model-runtime">').text(node._(detected.runtime ? "ml-model.info.runtime" : "ml-model.info.noRuntime")).appendTo(box);
        }
        var blank = function (id) { return $(id).val().trim() === ""; };
        var asks = [];
        if (detected.needs.indexOf("featureNames") >= 0 && blank("#node-config-input-featureNames")) { asks.push(node._("ml-model.info.needsFeatures", { count: detected.features === null ? "" : detected.features })); }
        if (detected.needs.indexOf("labels") >= 0 && blank("#node-config-input-labels")) { asks.push(node._("ml-model.info.needsLabels")); }
        $("#node-config-input-featureNames").toggleClass("input-error", detected.needs.indexOf("featureNames") >= 0 && blank("#node-config-input-featureNames"));
        asks.forEach(function (text) { $('<div class="form-tips iot-ai-model-needs" style="margin: 4px 0;">').text(text).appendTo(box); });
        if (detected.problem) { $('<div class="iot-ai-model-problem">').text(detected.problem).appendTo(box); }
    }

    /** The model's name, features, labels and training window, as text in the dialog. */
    function renderSummary(node, box, summary) {
        box.empty();
        function row(parts) { var div = $("<div>").appendTo(box); parts.forEach(function (p) { div.append(p); }); return div; }
        row([$("<b>").text(node._("ml-model.info.model", { name: summary.name, version: summary.version, task: summary.task }))]);
        renderDetected(node, box, summary.detected);
        var names = summary.featureNames || [];
        var list = $('<span class="iot-ai-model-features">').text(names.slice(0, SHOWN_FEATURES).join(", ") + (names.length > SHOWN_FEATURES ? ", …" : ""));
        var featuresRow = row([node._("ml-model.info.features", { count: names.length }), list]);
        if (names.length > SHOWN_FEATURES) {
            $('<a href="#" class="iot-ai-model-show-all" style="margin-left: 4px;">').text(node._("ml-model.info.showAll")).appendTo(featuresRow).on("click", function (e) {
                e.preventDefault();
                list.text(names.join(", "));
                $(this).remove();
            });
        }
        if (summary.labels) { row([node._("ml-model.info.labels"), $('<span class="iot-ai-model-labels">').text(summary.labels.join(", "))]); }
        var w = summary.window;
        var windowRow = $('<div class="iot-ai-model-window">').appendTo(box);
        if (!w) {
            windowRow.text(node._("ml-model.info.noWindow"));
            return;
        }
        if (summary.windowSource === "file" && w.size !== undefined) {
            var unit = w.unit || "s";
            windowRow.append($("<div>").text(node._("ml-model.info.window", { kind: w.window || "tumbling", size: w.size, unit: unit }) +
                (w.window === "sliding" && w.slide !== undefined ? node._("ml-model.info.windowSlide", { slide: w.slide, unit: unit }) : "")));
        } else if (summary.windowSource !== "file") {
            windowRow.append($("<div>").text(node._("ml-model.info.derived")));
        }
        windowRow.append($("<div>").text(node._("ml-model.info.sensors") + (w.sensors && w.sensors.length > 0 ? w.sensors.join(", ") : node._("ml-model.info.allSensors"))));
        if (w.features) { windowRow.append($("<div>").text(node._("ml-model.info.featureList") + w.features.join(", "))); }
        if (w.fill) { windowRow.append($("<div>").text(node._("ml-model.info.fill") + w.fill)); }
    }

    /**
     * "configure a feature-window for it": the feature-window nodes wired upstream of the model-predict nodes that use
     * this config (or whose dialog opened it) take the model's window; with none, one is added and wired into the
     * first such model-predict. One undoable step.
     */
    function configureWindow(node, summary) {
        var models = IotAiEditor.models;
        var props = models.windowProperties(summary.window);
        var predicts = [];
        RED.nodes.eachNode(function (n) { if (n.type === "model-predict" && n.model === node.id) { predicts.push(n); } });
        var stack = RED.editor.getEditStack ? RED.editor.getEditStack() : [];
        stack.forEach(function (n) { if (n && n.type === "model-predict" && predicts.indexOf(n) === -1) { predicts.push(n); } });
        var windows = [];
        predicts.forEach(function (p) {
            models.around(p, "feature-window", true).forEach(function (w) { if (windows.indexOf(w) === -1) { windows.push(w); } });
        });
        var wasDirty = RED.nodes.dirty();
        var message;
        if (windows.length > 0) {
            var events = windows.map(function (w) {
                var changes = {};
                Object.keys(props).forEach(function (key) {
                    changes[key] = w[key];
                    w[key] = JSON.parse(JSON.stringify(props[key]));
                });
                var event = { t: "edit", node: w, changes: changes, changed: w.changed, dirty: wasDirty };
                w.changed = true;
                w.dirty = true;
                if (RED.editor.validateNode) { RED.editor.validateNode(w); }
                return event;
            });
            RED.history.push(events.length === 1 ? events[0] : { t: "multi", events: events, dirty: wasDirty });
            message = node._("ml-model.configure.updated", { count: windows.length, names: windows.map(function (w) { return w.name || w.id; }).join(", ") });
        } else {
            var target = predicts[0];
            var type = RED.nodes.getType("feature-window");
            var config = { id: RED.nodes.id(), type: "feature-window", z: target ? target.z : RED.workspaces.active(),
                x: target ? Math.max(100, target.x - 200) : 200, y: target ? target.y + 60 : 100, wires: [[], []] };
            Object.keys(type.defaults).forEach(function (key) { config[key] = JSON.parse(JSON.stringify(type.defaults[key].value)); });
            Object.keys(props).forEach(function (key) { config[key] = props[key]; });
            config.name = "";
            RED.nodes.import([config], { generateIds: false, markChanged: true });
            var added = RED.nodes.node(config.id);
            var links = [];
            // A model-predict already on the canvas (saved) gets the new window wired into it.
            if (target && added && RED.nodes.node(target.id)) {
                var link = { source: added, sourcePort: 0, target: target };
                RED.nodes.addLink(link);
                links.push(link);
            }
            RED.history.push({ t: "add", nodes: [config.id], links: links, dirty: wasDirty });
            message = links.length > 0 ? node._("ml-model.configure.created", { target: target.name || target.id }) : node._("ml-model.configure.createdAlone");
        }
        RED.nodes.dirty(true);
        RED.view.redraw(true);
        $("#iot-ai-model-configured").text(message).show();
        RED.notify(message, { type: "success", timeout: 4000 });
    }

    RED.nodes.registerType("ml-model", {
        category: "config",
        defaults: {
            name: { value: "" },
            version: { value: 1 }, // config version: src/nodes/shared/migrations.ts
            bundled: { value: "", validate: function (v, opt) {
                return typeof v !== "string" || v.trim() === "" || BUNDLED_NAME.test(v.trim()) ? true : say(this, "ml-model.validation.bundled");
            } },
            // A file model needs its path; with a bundled model alone the path stays empty.
            path: { value: "", validate: function (v, opt) {
                var blank = function (x) { return typeof x !== "string" || x.trim() === ""; };
                return !blank(v) || !blank(this.bundled) ? true : say(this, "ml-model.validation.path");
            } },
            watch: { value: true },
            // An imported model file that does not name its inputs (docs/import.md): "a, b, c" in the model's order.
            featureNames: { value: "" },
            // ... and the labels of its classes 0, 1, … ("empty, occupied"); empty: the classes keep their numbers.
            labels: { value: "" }
        },
        paletteLabel: "ml model",
        label: function () { return this.name || this.bundled || this.path || "ml model"; },
        oneditprepare: function () {
            var node = this;
            IotAiEditor.defaults.fill(node);
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
                showModel();
            });
            // The chosen model's features, labels and training window, and the button that sets a window up for it.
            var summary = null;
            var shownKey = null;
            var asked = 0;
            var timer;
            function showModel() {
                var fromBundled = source.val() === "bundled" || $("#node-config-input-seed").is(":checked");
                var chosen = { bundled: fromBundled ? select.val() : "", path: source.val() === "file" ? $("#node-config-input-path").val().trim() : "",
                    featureNames: $("#node-config-input-featureNames").val(), labels: $("#node-config-input-labels").val() };
                // The editor fires change on fields it validates: the same choice is not read again.
                var key = JSON.stringify(chosen);
                if (key === shownKey) { return; }
                shownKey = key;
                var ticket = ++asked;
                summary = null;
                $("#iot-ai-model-configure-window").prop("disabled", true);
                $("#iot-ai-model-summary").text(node._("ml-model.info.loading"));
                IotAiEditor.models.summary(chosen, function (error, answer, refusal) {
                    if (ticket !== asked) { return; }
                    if (error) {
                        $("#iot-ai-model-summary").text(node._("ml-model.info.unavailable", { error: error }));
                        renderDetected(node, $("#iot-ai-model-summary"), refusal && refusal.detected);
                        return;
                    }
                    summary = answer;
                    renderSummary(node, $("#iot-ai-model-summary"), answer);
                    $("#iot-ai-model-configure-window").prop("disabled", !answer.window);
                });
            }
            source.on("change", showModel);
            select.on("change", showModel);
            $("#node-config-input-seed").on("change", showModel);
            $("#node-config-input-path, #node-config-input-featureNames, #node-config-input-labels").on("input change", function () {
                clearTimeout(timer);
                timer = setTimeout(showModel, 400);
            });
            $("#iot-ai-model-configure-window").on("click", function () {
                if (summary && summary.window) { configureWindow(node, summary); } else { $("#iot-ai-model-configured").text(node._("ml-model.configure.none")).show(); }
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
