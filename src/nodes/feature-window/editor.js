(function () {
    var NUMBER_FIELDS = ["size", "slide", "gap", "lateness", "maxJump", "idleTimeout", "maxKeys"];
    var FEATURES = ["mean", "std", "min", "max", "median", "range", "first", "last", "sum", "count", "slope", "rms",
        "p10", "p25", "p75", "p90", "iqr", "skew", "kurtosis", "delta", "meanCrossings"];
    function positive(v) { return v !== "" && v !== undefined && isFinite(Number(v)) && Number(v) > 0; }
    function nonNegativeOrBlank(v) { return v === "" || v === undefined || (isFinite(Number(v)) && Number(v) >= 0); }
    RED.nodes.registerType("feature-window", {
        category: "IoT AI",
        color: "#A6BBCF",
        defaults: {
            name: { value: "" },
            version: { value: 1 }, // config version: src/nodes/shared/migrations.ts
            window: { value: "tumbling" },
            size: { value: 60, validate: function (v) { return positive(v) && (this.unit !== "count" || Number.isInteger(Number(v))); } },
            slide: { value: 10, validate: function (v, opt) { // two arguments: a returned text is the reason it is invalid
                if (this.window !== "sliding") { return true; }
                if (!positive(v)) { return false; }
                return Number(this.size) / Number(v) > 1000 ? this._("feature-window.errors.windowsPerReading") : true;
            } },
            gap: { value: 30, validate: function (v) { return this.window !== "session" || positive(v); } },
            unit: { value: "s", validate: function (v) { return !(this.window === "session" && v === "count"); } },
            time: { value: "event" },
            lateness: { value: 0, validate: nonNegativeOrBlank },
            maxJump: { value: 10000, validate: nonNegativeOrBlank },
            idleTimeout: { value: 0, validate: nonNegativeOrBlank },
            sensors: { value: "" },
            features: { value: ["mean", "std", "min", "max", "last", "count"], validate: function (v) { return Array.isArray(v) && v.length > 0; } },
            minCount: { value: 0, validate: function (v) {
                if (v === "" || v === undefined) { return true; }
                if (typeof v === "string" && v.trim().charAt(0) === "{") { try { JSON.parse(v); return true; } catch (e) { return false; } }
                return isFinite(Number(v)) && Number(v) >= 0 && Number.isInteger(Number(v));
            } },
            fill: { value: "none" },
            maxKeys: { value: 10000, validate: function (v) { return v === "" || (positive(v) && Number(v) <= 100000); } },
            persist: { value: "" }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-window.svg",
        paletteLabel: "feature window",
        label: function () {
            if (this.name) { return this.name; }
            var unit = this.unit === "count" ? " readings" : this.unit;
            if (this.window === "sliding") { return "sliding " + this.size + unit + " / " + this.slide + unit; }
            if (this.window === "session") { return "session, gap " + this.gap + unit; }
            return "tumbling " + this.size + unit;
        },
        labelStyle: function () { return this.name ? "node_label_italic" : ""; },
        outputLabels: function (i) { return this._(i === 0 ? "feature-window.outputs.features" : "feature-window.outputs.rejects"); },
        oneditprepare: function () {
            IotAiEditor.defaults.fill(this); // properties an older flow lacks: their defaults, as at runtime
            IotAiEditor.numbers.prepare(this, NUMBER_FIELDS);
            var node = this;
            var box = $("#iot-ai-window-features");
            var selected = Array.isArray(node.features) ? node.features : [];
            FEATURES.forEach(function (f) {
                var id = "iot-ai-window-feature-" + f;
                $('<label style="display: block; width: auto; margin: 0"></label>')
                    .append($('<input type="checkbox" style="width: auto; margin: 0 4px 0 0; vertical-align: middle">').attr("id", id).attr("value", f).prop("checked", selected.indexOf(f) !== -1))
                    .append($("<span>").text(f))
                    .appendTo(box);
            });
            var persist = $("#node-input-persist");
            persist.append($("<option>").val("").text(node._("feature-window.persist.off")));
            var stores = (RED.settings.context && RED.settings.context.stores) || [];
            stores.forEach(function (s) { persist.append($("<option>").val(s).text(s)); });
            if (node.persist && stores.indexOf(node.persist) === -1) { persist.append($("<option>").val(node.persist).text(node.persist)); }
            persist.val(node.persist || "");
            function refresh() {
                var kind = $("#node-input-window").val();
                var unit = $("#node-input-unit").val();
                $(".iot-ai-window-slide").toggle(kind === "sliding");
                $(".iot-ai-window-gap").toggle(kind === "session");
                $(".iot-ai-window-time").toggle(unit !== "count");
                $(".iot-ai-window-event").toggle(unit !== "count" && $("#node-input-time").val() === "event");
                $(".iot-ai-unit-label").text(unit === "count" ? node._("feature-window.unit.readings") : unit);
            }
            $("#node-input-window, #node-input-unit, #node-input-time").on("change", refresh);
            refresh();
        },
        oneditsave: function () {
            IotAiEditor.numbers.save(this, NUMBER_FIELDS);
            var features = [];
            $("#iot-ai-window-features input:checked").each(function () { features.push($(this).val()); });
            this.features = features;
        }
    });
})();
