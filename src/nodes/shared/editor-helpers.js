// Shared by every editor of the palette (the build puts it in front of each node's editor script).
window.IotAiEditor = window.IotAiEditor || (function () {
    /** A message of the node's own catalogue (the build adds the shared iotAi.* keys to each); the key without one. */
    function say(node, key, args) {
        return node && typeof node._ === "function" ? node._(key, args) : key;
    }
    function blank(v) { return v === undefined || v === null || (typeof v === "string" && v.trim() === ""); }
    /** Node-RED fills these in at deploy (${ENV} or $(ENV)): the editor cannot judge them, nor does it. */
    function envReference(v) { return typeof v === "string" && (/^\$\([a-zA-Z_][a-zA-Z0-9_]*\)$/.test(v) || /^\$\{[a-zA-Z_][a-zA-Z0-9_]*\}$/.test(v)); }

    /**
     * Validator builders. Each returns a two-argument validator (v, opt), as Node-RED 4 calls them: true, or the
     * reason the value is invalid, which the editor shows as the field's tooltip.
     */
    var valid = {
        /** A number (text of one too); options: blank (allowed, the default), integer, min, max, above (exclusive). */
        number: function (options) {
            options = options || {};
            return function (v, opt) {
                if (blank(v)) { return options.blank === false ? say(this, "iotAi.validation.required") : true; }
                var n = Number(v);
                if ((typeof v !== "number" && typeof v !== "string") || !isFinite(n)) { return say(this, "iotAi.validation.number"); }
                if (options.integer && Math.floor(n) !== n) { return say(this, "iotAi.validation.integer"); }
                if (options.above !== undefined && !(n > options.above)) { return say(this, "iotAi.validation.above", { min: options.above }); }
                if (options.min !== undefined && options.max !== undefined && (n < options.min || n > options.max)) {
                    return say(this, "iotAi.validation.range", { min: options.min, max: options.max });
                }
                if (options.min !== undefined && n < options.min) { return say(this, "iotAi.validation.min", { min: options.min }); }
                if (options.max !== undefined && n > options.max) { return say(this, "iotAi.validation.max", { max: options.max }); }
                return true;
            };
        },
        /** Text that must not be blank. */
        required: function () {
            return function (v, opt) { return blank(v) ? say(this, "iotAi.validation.required") : true; };
        },
        /** One of the select's values; blank takes the node's default. */
        choice: function (values) {
            return function (v, opt) {
                return blank(v) || values.indexOf(v) !== -1 ? true : say(this, "iotAi.validation.choice", { values: values.join(", ") });
            };
        },
        /** JSON text (or the value it was saved as); kind "object" also asks for {...}. Blank is allowed. */
        json: function (kind) {
            return function (v, opt) {
                if (blank(v)) { return true; }
                var value = v;
                if (typeof v === "string") {
                    try { value = JSON.parse(v); } catch (e) { return say(this, "iotAi.validation.json", { error: e.message }); }
                }
                if (kind === "object" && (value === null || typeof value !== "object" || Array.isArray(value))) { return say(this, "iotAi.validation.jsonObject"); }
                return true;
            };
        },
        /** Any number of checks on one field: the first reason given is the field's. */
        all: function () {
            var checks = Array.prototype.slice.call(arguments);
            return function (v, opt) {
                for (var i = 0; i < checks.length; i++) {
                    var result = checks[i].call(this, v, opt);
                    if (result !== true) { return typeof result === "string" ? result : say(this, "iotAi.validation.invalid"); }
                }
                return true;
            };
        },
        /** min ≤ max of a pair given as numbers or text of them (blanks pass); the reason, or true. */
        order: function (node, min, max) {
            if (blank(min) || blank(max) || !isFinite(Number(min)) || !isFinite(Number(max))) { return true; }
            return Number(min) <= Number(max) ? true : say(node, "iotAi.validation.minMax", { min: min, max: max });
        }
    };

    /** Marks a field (or a typedInput's box) invalid with its reason as the tooltip, as the editor does, or clears it. */
    function mark(element, result) {
        var el = $(element);
        if (el.length === 0) { return; }
        if (el.data("noderedTypedInput") !== undefined) { el = el.next(".red-ui-typedInput-container").add(el); }
        var invalid = result !== true;
        el.toggleClass("input-error", invalid);
        el.each(function () {
            var one = $(this);
            var tooltip = one.data("tooltip");
            if (invalid && typeof result === "string" && one.is(":visible")) {
                if (tooltip) { tooltip.setContent(result); } else { one.data("tooltip", RED.popover.tooltip(one, result)); }
                one.attr("aria-invalid", "true").attr("data-iot-ai-error", result);
            } else if (!invalid) {
                if (tooltip) { one.data("tooltip", null); tooltip.delete(); }
                one.removeAttr("aria-invalid").removeAttr("data-iot-ai-error");
            }
        });
    }

    /**
     * Validates every field of the open dialog while the user types, with the values in the dialog (so a pair such
     * as size and slide is judged as it stands), and marks each field with its reason. Node-RED itself validates
     * only the inputs named node-input-<property> and only on change/keyup; the number fields here have ids of
     * their own (node-input-num-<name>, node-input-sim-<name>) and lists are built by the dialog.
     * options.read: { property: function () { return its value in the dialog } } for fields that are not one input;
     * options.field: { property: element or selector to mark }; options.rows: function () called after each run,
     * to mark the rows of lists. Returns { run }: call it when the dialog changes a list itself.
     */
    function live(node, options) {
        options = options || {};
        var defaults = node._def.defaults;
        var prefix = node._def.category === "config" ? "node-config-input" : "node-input";
        var names = Object.keys(defaults).filter(function (name) { return !defaults[name].type; });
        var ownIds = ["num", "sim"];
        function input(name) {
            for (var i = 0; i < ownIds.length; i++) {
                var own = $("#" + prefix + "-" + ownIds[i] + "-" + name);
                if (own.length) { return { el: own, number: true }; }
            }
            return { el: $("#" + prefix + "-" + name), number: false };
        }
        function read(name) {
            if (options.read && options.read[name]) { return options.read[name](); }
            var found = input(name);
            var el = found.el;
            if (el.length === 0) { return node[name]; }
            if (el.is(":checkbox")) { return el.prop("checked"); }
            if (el.data("noderedTypedInput") !== undefined) { return el.typedInput("value"); }
            var text = el.val();
            if (!found.number) { return text; }
            text = String(text === undefined || text === null ? "" : text).trim();
            return text !== "" && isFinite(Number(text)) ? Number(text) : text;
        }
        function check(view, name) {
            var def = defaults[name];
            var value = view[name];
            if (envReference(value)) { return true; }
            if (def.required && blank(value)) { return say(node, "iotAi.validation.required"); }
            if (typeof def.validate !== "function") { return true; }
            try {
                var result = def.validate.call(view, value, {});
                return result === true || (result && typeof result !== "string") ? true : (typeof result === "string" ? result : say(node, "iotAi.validation.invalid"));
            } catch (err) {
                return err.message;
            }
        }
        function run() {
            // A plain object, never one inheriting from the node: Node-RED 4's node is a Proxy whose set trap would
            // write the dialog's values into the node itself (Cancel would keep them).
            var view = { id: node.id, type: node.type, _def: node._def, _: node._ };
            names.forEach(function (name) { view[name] = read(name); });
            names.forEach(function (name) {
                var target = options.field && options.field[name] ? $(options.field[name]) : input(name).el;
                mark(target, check(view, name));
            });
            if (options.rows) { options.rows(view); }
        }
        var form = input("name").el.closest("form");
        if (form.length === 0) { form = $(prefix === "node-config-input" ? "#node-config-dialog-edit-form" : "#dialog-form"); }
        // After the editor's own handlers (those sit on the fields; this one on the form): the last word is ours.
        form.on("input change keyup paste", function () { run(); });
        run();
        // Once more after the editor's own check of the opened dialog, which judges by the values saved before.
        setTimeout(run, 0);
        return { run: run };
    }

    /**
     * RED.nodes.registerType for the palette's flow nodes, with what they all share: the category, a name and the
     * hidden config version (src/nodes/shared/migrations.ts) first among the defaults, the italic label of a named
     * node, and in the dialog first the values an older flow lacks (IotAiEditor.defaults.fill), then the number
     * fields def.numbers (ids node-input-num-<name>) read, and saved as numbers, around the node's own
     * oneditprepare / oneditsave.
     */
    function register(type, def) {
        var numbers = def.numbers || [];
        var full = { category: "IoT AI", labelStyle: function () { return this.name ? "node_label_italic" : ""; } };
        Object.keys(def).forEach(function (key) { if (key !== "numbers") { full[key] = def[key]; } });
        full.defaults = { name: { value: "" }, version: { value: 1 } };
        Object.keys(def.defaults).forEach(function (key) { full.defaults[key] = def.defaults[key]; });
        full.oneditprepare = function () {
            window.IotAiEditor.defaults.fill(this); // properties an older flow lacks: their defaults, as at runtime
            window.IotAiEditor.numbers.prepare(this, numbers);
            if (def.oneditprepare) { def.oneditprepare.apply(this, arguments); }
        };
        full.oneditsave = function () {
            window.IotAiEditor.numbers.save(this, numbers);
            if (def.oneditsave) { return def.oneditsave.apply(this, arguments); }
        };
        RED.nodes.registerType(type, full);
    }

    /** Fills a persist <select> with "off" (the node's message offKey) and the context stores, the node's chosen. */
    function persistStores(node, select, offKey) {
        var el = $(select);
        el.append($("<option>").val("").text(node._(offKey)));
        var stores = (RED.settings.context && RED.settings.context.stores) || [];
        stores.forEach(function (s) { el.append($("<option>").val(s).text(s)); });
        if (node.persist && stores.indexOf(node.persist) === -1) { el.append($("<option>").val(node.persist).text(node.persist)); }
        el.val(node.persist || "");
    }

    return {
        say: say,
        valid: valid,
        mark: mark,
        register: register,
        persistStores: persistStores,
        validation: { live: live },
        // Number fields use ids of their own (node-input-num-<name>), so the editor does not copy their text into the
        // node; oneditsave stores a number (or the text, when it is not one, for validation to flag).
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
})();
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
                // The refusal's body may say what the file was detected as (kind, what it needs): the third argument.
                callback((xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText || "error", null, xhr.responseJSON || null);
            });
        }
        var bundledUrl = bundled ? "iot-ai/models/bundled/" + encodeURIComponent(bundled) : "";
        // An imported file shows as it will load: with the dialog's Inputs and Labels.
        var fields = ["featureNames", "labels"].map(function (name) { return config && config[name] ? "&" + name + "=" + encodeURIComponent(String(config[name])) : ""; }).join("");
        // A path with a bundled seed: the seed until the file exists.
        if (file) { get("iot-ai/models/file?path=" + encodeURIComponent(file) + fields, bundledUrl); } else if (bundled) { get(bundledUrl); } else { callback("no model chosen", null); }
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
        ["window", "size", "slide", "gap", "unit", "time", "lateness", "minCount", "fill", "timeZone", "bands", "spectralPoints", "fftCoefficients"].forEach(function (key) {
            if (window[key] !== undefined) { props[key] = window[key]; }
        });
        if (window.sensors) { props.sensors = window.sensors.join(","); }
        if (window.features) { props.features = window.features.slice(); }
        return props;
    }
};
