// Shared by every editor of the palette (the build puts it in front of each node's editor script).
// Number fields use ids of their own (node-input-num-<name>), so the editor does not copy their text into the
// node; oneditsave stores a number (or the text, when it is not one, for validation to flag).
window.IotAiEditor = window.IotAiEditor || {
    numbers: {
        prepare: function (node, names) {
            names.forEach(function (name) {
                var value = node[name];
                $("#node-input-num-" + name).val(value === undefined || value === null ? "" : value);
            });
        },
        save: function (node, names) {
            names.forEach(function (name) {
                var text = String($("#node-input-num-" + name).val() || "").trim();
                node[name] = text !== "" && isFinite(Number(text)) ? Number(text) : text;
            });
        }
    }
};
// Blank fields of flows saved before a setting existed: the dialog shows what the runtime uses (the node's default,
// or the value the property had before it existed: src/nodes/shared/migrations.ts, same tables).
window.IotAiEditor.defaults = window.IotAiEditor.defaults || {
    LEGACY: { "actuator-command": { onChangeOnly: false }, "ml-model": { watch: false } },
    PROFILE_KEYS: {
        "sensor-ingest": ["topicPattern", "deviceFrom", "deviceIdField", "tsField", "valuesField", "exclude", "include", "units", "stateWords", "lwm2mNames"],
        "actuator-command": ["ack", "topic", "replyTopic"]
    },
    SKIP: ["name", "outputs", "version"],
    /** Whether a missing property of `node` takes a value (not when its device profile supplies it). */
    fillable: function (node, key) {
        if (this.SKIP.indexOf(key) !== -1) { return false; }
        var keys = this.PROFILE_KEYS[node.type] || [];
        return keys.indexOf(key) === -1 || !node.profile || node.profile === "generic";
    },
    /** The value a missing property of `node` stands for, or undefined when it is not missing. */
    valueFor: function (node, key) {
        var legacy = this.LEGACY[node.type] || {};
        var def = node._def && node._def.defaults && node._def.defaults[key];
        if (!def || def.type) { return undefined; }
        var value = Object.prototype.hasOwnProperty.call(legacy, key) ? legacy[key] : def.value;
        return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
    },
    /**
     * Called first in oneditprepare: every property the node lacks gets its value, in the node and in its dialog
     * field (Node-RED has already shown it blank). Returns the names filled.
     */
    fill: function (node, prefix) {
        var filled = this.fillNode(node);
        prefix = prefix || (node._def && node._def.category === "config" ? "node-config-input" : "node-input");
        filled.forEach(function (key) {
            var value = node[key];
            var input = $("#" + prefix + "-" + key);
            if (input.length === 0 || (value !== null && typeof value === "object")) { return; }
            if (input.attr("type") === "checkbox") { input.prop("checked", !!value); } else { input.val(value); }
        });
        return filled;
    },
    /** The node only (no dialog): every property it lacks gets its value. Returns the names filled. */
    fillNode: function (node) {
        var self = this;
        var filled = [];
        var defaults = (node._def && node._def.defaults) || {};
        Object.keys(defaults).forEach(function (key) {
            if (node[key] !== undefined || !self.fillable(node, key)) { return; }
            var value = self.valueFor(node, key);
            if (value === undefined) { return; }
            node[key] = value;
            filled.push(key);
        });
        return filled;
    },
    TYPES: ["sensor-ingest", "feature-window", "ml-model", "model-predict", "anomaly-detect", "model-train", "actuator-command", "sensor-sim"]
};
// Models in the editor: a model's features, labels and training window (the ml-model admin endpoints), and the
// nodes wired around a node.
window.IotAiEditor.models = window.IotAiEditor.models || {
    /** Calls back with (error text, summary) for an ml-model config node (or its { bundled, path }). */
    summary: function (config, callback) {
        var bundled = config && config.bundled ? String(config.bundled) : "";
        var file = config && config.path ? String(config.path) : "";
        function get(url, fallback) {
            $.ajax({ url: url, dataType: "json", cache: false }).done(function (summary) { callback(null, summary); }).fail(function (xhr) {
                if (fallback && xhr.status === 404) { return get(fallback); }
                callback((xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText || "error", null);
            });
        }
        var bundledUrl = bundled ? "iot-ai/models/bundled/" + encodeURIComponent(bundled) : "";
        // A path with a bundled seed: the seed until the file exists.
        if (file) { get("iot-ai/models/file?path=" + encodeURIComponent(file), bundledUrl); } else if (bundled) { get(bundledUrl); } else { callback("no model chosen", null); }
    },
    /** Nodes of `type` found walking the wires from `node` (backwards when `upstream`), not past the first found. */
    around: function (node, type, upstream) {
        var found = [];
        var seen = {};
        var queue = [node];
        seen[node.id] = true;
        while (queue.length > 0 && Object.keys(seen).length < 500) {
            var current = queue.shift();
            var links = RED.nodes.filterLinks(upstream ? { target: current } : { source: current });
            links.forEach(function (link) {
                var next = upstream ? link.source : link.target;
                if (!next || seen[next.id]) { return; }
                seen[next.id] = true;
                if (next.type === type) { found.push(next); } else { queue.push(next); }
            });
        }
        return found;
    },
    /** The feature-window properties of a training window (what "configure a feature-window" sets). */
    windowProperties: function (window) {
        var props = {};
        ["window", "size", "slide", "gap", "unit", "time", "lateness", "minCount", "fill"].forEach(function (key) {
            if (window[key] !== undefined) { props[key] = window[key]; }
        });
        if (window.sensors) { props.sensors = window.sensors.join(","); }
        if (window.features) { props.features = window.features.slice(); }
        return props;
    }
};
