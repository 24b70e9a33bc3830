(function () {
    var NUMBER_FIELDS = ["maxFutureMs", "maxPayloadBytes", "maxRecords", "shards"];
    var CORE = IotAiEditor.core.ingest; // from src/core/ingest (the build writes it)
    // What each device profile fills in: src/core/ingest/profiles.ts PROFILE_SETTINGS.
    var PROFILES = CORE.profiles;
    var PROFILE_FIELDS = ["topicPattern", "deviceFrom", "deviceIdField", "tsField", "valuesField", "exclude", "include", "units", "stateWords"];
    var PATTERN = /^(?:[^/{}+#]*|\{[A-Za-z_][A-Za-z0-9_]*#?\}|\+)(?:\/(?:[^/{}+#]*|\{[A-Za-z_][A-Za-z0-9_]*#?\}|\+))*(?:\/#)?$|^#$/;
    var V = IotAiEditor.valid;
    var say = IotAiEditor.say;
    /** "name=value" pairs separated by commas or lines (units, state words): the first that is not one, or "". */
    function badPair(text) {
        var parts = String(text).split(/[,\n]/);
        for (var i = 0; i < parts.length; i++) {
            var part = parts[i].trim();
            if (part === "") { continue; }
            var eq = part.indexOf("=");
            if (eq <= 0 || part.slice(eq + 1).trim() === "") { return part; }
        }
        return "";
    }
    function pairs(v, opt) {
        var bad = typeof v === "string" ? badPair(v) : "";
        return bad === "" ? true : say(this, "sensor-ingest.validation.pair", { part: bad });
    }
    /** The sensors list's entries in the dialog or as saved: the reason the first bad one is bad, or true. */
    function checkSensor(node, entry, index) {
        var label = entry.name || "#" + (index + 1);
        if (!entry.name) { return say(node, "sensor-ingest.validation.sensorName", { index: index + 1 }); }
        for (var b = 0; b < 2; b++) {
            var bound = b === 0 ? "min" : "max";
            var value = entry[bound];
            if (value !== undefined && value !== "" && !isFinite(Number(value))) { return say(node, "sensor-ingest.validation.sensorBound", { sensor: label, bound: bound }); }
        }
        var order = V.order(node, entry.min, entry.max);
        return order === true ? true : label + ": " + order;
    }
    function readSensorRow(row) {
        return { name: row.find(".sensor-name").val().trim(), unit: row.find(".sensor-unit").val().trim(), min: row.find(".sensor-min").val().trim(), max: row.find(".sensor-max").val().trim() };
    }
    /** The sensors list as the dialog shows it; saving (asTyped false) leaves out rows without a name. */
    function readSensors(asTyped) {
        var sensors = [];
        $("#node-input-sensors-container").editableList("items").each(function () {
            var row = $(this);
            var name = row.find(".sensor-name").val().trim();
            var unit = row.find(".sensor-unit").val().trim();
            var min = row.find(".sensor-min").val().trim();
            var max = row.find(".sensor-max").val().trim();
            if (!name && (!asTyped || (unit === "" && min === "" && max === ""))) { return; }
            var entry = { name: name };
            if (unit) { entry.unit = unit; }
            // A bound that is not a number is kept as typed, for validation to flag (the runtime refuses it too).
            if (min !== "") { entry.min = isFinite(Number(min)) ? Number(min) : min; }
            if (max !== "") { entry.max = isFinite(Number(max)) ? Number(max) : max; }
            sensors.push(entry);
        });
        return sensors;
    }
    IotAiEditor.register("sensor-ingest", {
        numbers: NUMBER_FIELDS,
        color: "#A6BBCF",
        defaults: {
            profile: { value: "generic", validate: V.choice(Object.keys(PROFILES)) },
            format: { value: CORE.formats[0], validate: V.choice(CORE.formats) },
            topicPattern: {
                value: "",
                validate: function (v, opt) {
                    var needs = say(this, "sensor-ingest.validation.valueTopic");
                    if (v === undefined || v === "") { return this.format !== "value" ? true : needs; }
                    if (!PATTERN.test(v)) { return say(this, "sensor-ingest.validation.topicPattern"); }
                    if (this.format === "value") { return v.indexOf("{deviceId}") !== -1 && v.indexOf("{sensor}") !== -1 ? true : needs; }
                    return true;
                }
            },
            deviceIdField: { value: "deviceId" },
            tsField: { value: "ts" },
            namePolicy: { value: "topic", validate: V.choice(CORE.namePolicies) },
            deviceFrom: { value: "payload", validate: V.choice(["payload", "topic"]) },
            valuesField: { value: "" },
            include: { value: "" },
            exclude: { value: "" },
            units: { value: "", validate: pairs },
            stateWords: { value: "", validate: function (v, opt) {
                var result = pairs.call(this, v, opt);
                if (result !== true || typeof v !== "string") { return result; }
                var parts = v.split(/[,\n]/).filter(function (p) { return p.trim() !== ""; });
                for (var i = 0; i < parts.length; i++) {
                    var meaning = parts[i].slice(parts[i].indexOf("=") + 1).trim().toLowerCase();
                    if (meaning !== "true" && meaning !== "false") { return say(this, "sensor-ingest.validation.stateWord", { part: parts[i].trim() }); }
                }
                return true;
            } },
            timeZone: { value: "", validate: function (v, opt) {
                if (typeof v !== "string" || v.trim() === "") { return true; }
                try { new Intl.DateTimeFormat("en-US", { timeZone: v.trim() }); return true; } catch (e) { return say(this, "sensor-ingest.validation.timeZone"); }
            } },
            lwm2mNames: { value: false },
            output: { value: "each", validate: V.choice(CORE.outputs) },
            shards: { value: 0, validate: V.number({ integer: true, min: 0, max: CORE.maxShards }) },
            shardTopic: { value: CORE.shardTopic, validate: function (v, opt) {
                if (!(Number(this.shards) > 0) || v === undefined || v === "") { return true; }
                var names = String(v).match(/\{[^{}]*\}/g) || [];
                for (var i = 0; i < names.length; i++) {
                    if (["{shard}", "{deviceId}", "{sensor}"].indexOf(names[i]) === -1) { return say(this, "sensor-ingest.validation.shardPlaceholder", { name: names[i] }); }
                }
                if (String(v).indexOf("{shard}") === -1) { return say(this, "sensor-ingest.validation.shardTopic"); }
                if (/[+#]/.test(String(v).replace(/\{[^{}]*\}/g, ""))) { return say(this, "sensor-ingest.validation.shardWildcard"); }
                return true;
            } },
            schema: {
                value: "",
                validate: function (v, opt) {
                    if (!v || typeof v !== "string" || !v.trim()) { return true; }
                    var schema;
                    try { schema = JSON.parse(v); } catch (e) { return say(this, "iotAi.validation.json", { error: e.message }); }
                    return (typeof schema === "object" && schema !== null && !Array.isArray(schema)) || typeof schema === "boolean" ? true : say(this, "sensor-ingest.validation.schema");
                }
            },
            sensors: { value: [], validate: function (v, opt) {
                if (!Array.isArray(v)) { return true; }
                for (var i = 0; i < v.length; i++) {
                    var result = checkSensor(this, v[i] || {}, i);
                    if (result !== true) { return result; }
                }
                return true;
            } },
            convertUnits: { value: false },
            maxFutureMs: { value: CORE.maxFutureMs, validate: V.number({ min: 0 }) },
            maxPayloadBytes: { value: CORE.maxPayloadBytes, validate: V.number({ integer: true, min: 1, max: CORE.maxPayloadBytesLimit }) },
            maxRecords: { value: CORE.maxRecords, validate: V.number({ integer: true, min: 1, max: CORE.maxRecordsLimit }) }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-ingest.svg",
        paletteLabel: "ingest",
        label: function () { return this.name || (this.profile && this.profile !== "generic" ? "ingest " + this.profile : (this.topicPattern ? "ingest " + this.topicPattern : "sensor ingest")); },
        outputLabels: function (i) { return this._(i === 0 ? "sensor-ingest.outputs.readings" : "sensor-ingest.outputs.rejects"); },
        oneditprepare: function () {
            var node = this;
            var checks;
            $("#node-input-sensors-container").css("min-height", "120px").css("min-width", "420px").editableList({
                addItem: function (row, index, data) {
                    var name = $('<input type="text" class="sensor-name" style="width: 30%">').attr("placeholder", node._("sensor-ingest.label.sensorName")).val(data.name || "");
                    var unit = $('<input type="text" class="sensor-unit" style="width: 20%; margin-left: 4px">').attr("placeholder", node._("sensor-ingest.label.sensorUnit")).val(data.unit || "");
                    var min = $('<input type="text" class="sensor-min" style="width: 18%; margin-left: 4px">').attr("placeholder", node._("sensor-ingest.label.sensorMin")).val(data.min === undefined ? "" : data.min);
                    var max = $('<input type="text" class="sensor-max" style="width: 18%; margin-left: 4px">').attr("placeholder", node._("sensor-ingest.label.sensorMax")).val(data.max === undefined ? "" : data.max);
                    row.append(name, unit, min, max);
                    if (checks) { checks.run(); }
                },
                removeItem: function () { if (checks) { checks.run(); } },
                removable: true,
                sortable: true
            });
            (node.sensors || []).forEach(function (s) { $("#node-input-sensors-container").editableList("addItem", s); });
            $("#node-input-num-shards").on("change keyup", function () {
                $(".node-input-shardTopic-row").toggle(Number($(this).val()) > 0);
            }).trigger("change");
            $("#node-input-format").on("change", function () {
                $("#node-input-topicPattern").trigger("change");
            });
            // Choosing a profile fills the settings it covers; each stays editable. Opening the dialog changes nothing.
            var shownProfile = node.profile || "generic";
            $("#node-input-profile").on("change", function () {
                var chosen = $(this).val();
                if (chosen === shownProfile || !PROFILES[chosen]) { return; }
                shownProfile = chosen;
                var settings = PROFILES[chosen];
                PROFILE_FIELDS.forEach(function (field) {
                    $("#node-input-" + field).val(settings[field]).trigger("change");
                });
                $("#node-input-lwm2mNames").prop("checked", !!settings.lwm2mNames);
            });
            checks = IotAiEditor.validation.live(node, {
                read: { sensors: function () { return readSensors(true); } },
                field: { sensors: $("#node-input-sensors-container").closest(".red-ui-editableList-container") },
                // Each row's own fields say what is wrong with them.
                rows: function (view) {
                    var index = 0;
                    $("#node-input-sensors-container").editableList("items").each(function () {
                        var row = $(this);
                        var entry = readSensorRow(row);
                        var blankRow = !entry.name && entry.unit === "" && entry.min === "" && entry.max === "";
                        var result = blankRow ? true : checkSensor(view, entry, index);
                        if (!blankRow) { index++; }
                        IotAiEditor.mark(row.find(".sensor-name"), entry.name || blankRow ? true : result);
                        var bounds = result !== true && entry.name ? result : true;
                        IotAiEditor.mark(row.find(".sensor-min"), bounds);
                        IotAiEditor.mark(row.find(".sensor-max"), bounds);
                    });
                }
            });
        },
        oneditsave: function () {
            this.sensors = readSensors(false);
        },
        oneditresize: function (size) {
            var rows = $("#dialog-form>div:not(.node-input-sensors-container-row)");
            var height = size.height;
            for (var i = 0; i < rows.length; i++) { height -= $(rows[i]).outerHeight(true); }
            $("#node-input-sensors-container").editableList("height", Math.max(120, height - 30));
        }
    });
})();
