(function () {
    var NUMBER_FIELDS = ["maxFutureMs", "maxPayloadBytes", "maxRecords"];
    // What each device profile fills in (kept equal to src/core/ingest/profiles.ts by test/core/ingest-editor.test.ts).
    var PROFILES = {
        "generic": {"topicPattern": "", "deviceFrom": "payload", "deviceIdField": "deviceId", "tsField": "ts", "valuesField": "", "exclude": "", "include": "", "units": "", "stateWords": "", "lwm2mNames": false},
        "tasmota": {"topicPattern": "tele/{deviceId}/+", "deviceFrom": "topic", "deviceIdField": "deviceId", "tsField": "Time", "valuesField": "", "exclude": "Heap, UptimeSec, Sleep, LoadAvg, MqttCount, Wifi, Berry", "include": "", "units": "Temperature=$TempUnit, DewPoint=$TempUnit, Humidity=%RH, Pressure=$PressureUnit, SeaPressure=$PressureUnit, Illuminance=lx, CarbonDioxide=ppm", "stateWords": "", "lwm2mNames": false},
        "zigbee2mqtt": {"topicPattern": "zigbee2mqtt/{deviceId#}", "deviceFrom": "topic", "deviceIdField": "deviceId", "tsField": "last_seen", "valuesField": "", "exclude": "battery, battery_low, linkquality, voltage, update, update_available", "include": "", "units": "temperature=Cel, humidity=%RH, pressure=hPa, illuminance_lux=lx, co2=ppm, power=W, energy=kWh, current=A", "stateWords": "", "lwm2mNames": false},
        "shelly": {"topicPattern": "{deviceId}/status/{prefix}", "deviceFrom": "payload", "deviceIdField": "src", "tsField": "params.ts", "valuesField": "params", "exclude": "id, voltage, minute_ts, tF, timer_started_at, timer_duration, sys, wifi, cloud, mqtt, ws, ble", "include": "", "units": "apower=W, current=A, aenergy.total=Wh, ret_aenergy.total=Wh, tC=Cel, freq=Hz", "stateWords": "", "lwm2mNames": false},
        "esphome": {"topicPattern": "{deviceId}/+/{prefix}/state", "deviceFrom": "topic", "deviceIdField": "deviceId", "tsField": "ts", "valuesField": "", "exclude": "", "include": "", "units": "", "stateWords": "", "lwm2mNames": false},
        "homeassistant": {"topicPattern": "homeassistant/+/{deviceId}/{prefix}", "deviceFrom": "topic", "deviceIdField": "deviceId", "tsField": "ts", "valuesField": "", "exclude": "friendly_name, unit_of_measurement, device_class, state_class, icon, last_changed, last_updated, supported_features", "include": "", "units": "", "stateWords": "", "lwm2mNames": false},
        "ttn": {"topicPattern": "v3/+/devices/{deviceId}/up", "deviceFrom": "payload", "deviceIdField": "end_device_ids.device_id", "tsField": "received_at", "valuesField": "uplink_message.decoded_payload", "exclude": "", "include": "", "units": "", "stateWords": "", "lwm2mNames": false},
        "lwm2m": {"topicPattern": "lwm2m/{deviceId}/#", "deviceFrom": "topic", "deviceIdField": "deviceId", "tsField": "ts", "valuesField": "", "exclude": "", "include": "", "units": "", "stateWords": "", "lwm2mNames": true}
    };
    var PROFILE_FIELDS = ["topicPattern", "deviceFrom", "deviceIdField", "tsField", "valuesField", "exclude", "include", "units", "stateWords"];
    var PATTERN = /^(?:[^/{}+#]*|\{[A-Za-z_][A-Za-z0-9_]*#?\}|\+)(?:\/(?:[^/{}+#]*|\{[A-Za-z_][A-Za-z0-9_]*#?\}|\+))*(?:\/#)?$|^#$/;
    function isNumberOrBlank(v) {
        return v === undefined || v === "" || (typeof v === "number" && isFinite(v)) || (typeof v === "string" && v.trim() !== "" && isFinite(Number(v)));
    }
    RED.nodes.registerType("sensor-ingest", {
        category: "IoT AI",
        color: "#A6BBCF",
        defaults: {
            name: { value: "" },
            version: { value: 1 }, // config version: src/nodes/shared/migrations.ts
            profile: { value: "generic" },
            format: { value: "auto" },
            topicPattern: {
                value: "",
                validate: function (v) {
                    if (v === undefined || v === "") { return this.format !== "value"; }
                    if (!PATTERN.test(v)) { return false; }
                    if (this.format === "value") { return v.indexOf("{deviceId}") !== -1 && v.indexOf("{sensor}") !== -1; }
                    return true;
                }
            },
            deviceIdField: { value: "deviceId" },
            tsField: { value: "ts" },
            namePolicy: { value: "topic" },
            deviceFrom: { value: "payload" },
            valuesField: { value: "" },
            include: { value: "" },
            exclude: { value: "" },
            units: { value: "" },
            stateWords: { value: "" },
            timeZone: { value: "" },
            lwm2mNames: { value: false },
            output: { value: "each" },
            schema: {
                value: "",
                validate: function (v) {
                    if (!v || !v.trim()) { return true; }
                    try { var s = JSON.parse(v); return typeof s === "object" || typeof s === "boolean"; } catch (e) { return false; }
                }
            },
            sensors: { value: [] },
            convertUnits: { value: false },
            maxFutureMs: { value: 300000, validate: isNumberOrBlank },
            maxPayloadBytes: { value: 1048576, validate: function (v) { return isNumberOrBlank(v) && !(Number(v) > 16777216); } },
            maxRecords: { value: 10000, validate: function (v) { return isNumberOrBlank(v) && !(Number(v) > 100000); } }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-ingest.svg",
        paletteLabel: "sensor ingest",
        label: function () { return this.name || (this.profile && this.profile !== "generic" ? "ingest " + this.profile : (this.topicPattern ? "ingest " + this.topicPattern : "sensor ingest")); },
        labelStyle: function () { return this.name ? "node_label_italic" : ""; },
        outputLabels: function (i) { return this._(i === 0 ? "sensor-ingest.outputs.readings" : "sensor-ingest.outputs.rejects"); },
        oneditprepare: function () {
            IotAiEditor.defaults.fill(this); // properties an older flow lacks: their defaults, as at runtime
            IotAiEditor.numbers.prepare(this, NUMBER_FIELDS);
            var node = this;
            $("#node-input-sensors-container").css("min-height", "120px").css("min-width", "420px").editableList({
                addItem: function (row, index, data) {
                    var name = $('<input type="text" class="sensor-name" style="width: 30%">').attr("placeholder", node._("sensor-ingest.label.sensorName")).val(data.name || "");
                    var unit = $('<input type="text" class="sensor-unit" style="width: 20%; margin-left: 4px">').attr("placeholder", node._("sensor-ingest.label.sensorUnit")).val(data.unit || "");
                    var min = $('<input type="text" class="sensor-min" style="width: 18%; margin-left: 4px">').attr("placeholder", node._("sensor-ingest.label.sensorMin")).val(data.min === undefined ? "" : data.min);
                    var max = $('<input type="text" class="sensor-max" style="width: 18%; margin-left: 4px">').attr("placeholder", node._("sensor-ingest.label.sensorMax")).val(data.max === undefined ? "" : data.max);
                    row.append(name, unit, min, max);
                },
                removable: true,
                sortable: true
            });
            (node.sensors || []).forEach(function (s) { $("#node-input-sensors-container").editableList("addItem", s); });
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
        },
        oneditsave: function () {
            IotAiEditor.numbers.save(this, NUMBER_FIELDS);
            var sensors = [];
            $("#node-input-sensors-container").editableList("items").each(function () {
                var row = $(this);
                var name = row.find(".sensor-name").val().trim();
                if (!name) { return; }
                var entry = { name: name };
                var unit = row.find(".sensor-unit").val().trim();
                var min = row.find(".sensor-min").val().trim();
                var max = row.find(".sensor-max").val().trim();
                if (unit) { entry.unit = unit; }
                if (min !== "" && isFinite(Number(min))) { entry.min = Number(min); }
                if (max !== "" && isFinite(Number(max))) { entry.max = Number(max); }
                sensors.push(entry);
            });
            this.sensors = sensors;
        },
        oneditresize: function (size) {
            var rows = $("#dialog-form>div:not(.node-input-sensors-container-row)");
            var height = size.height;
            for (var i = 0; i < rows.length; i++) { height -= $(rows[i]).outerHeight(true); }
            $("#node-input-sensors-container").editableList("height", Math.max(120, height - 30));
        }
    });
})();
