(function () {
    var NUMBER_FIELDS = ["maxFutureMs", "maxPayloadBytes", "maxRecords"];
    var PATTERN = /^(?:[^/{}+#]*|\{[A-Za-z_][A-Za-z0-9_]*\}|\+)(?:\/(?:[^/{}+#]*|\{[A-Za-z_][A-Za-z0-9_]*\}|\+))*(?:\/#)?$|^#$/;
    function isNumberOrBlank(v) {
        return v === undefined || v === "" || (typeof v === "number" && isFinite(v)) || (typeof v === "string" && v.trim() !== "" && isFinite(Number(v)));
    }
    RED.nodes.registerType("sensor-ingest", {
        category: "IoT AI",
        color: "#A6BBCF",
        defaults: {
            name: { value: "" },
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
        label: function () { return this.name || (this.topicPattern ? "ingest " + this.topicPattern : "sensor ingest"); },
        labelStyle: function () { return this.name ? "node_label_italic" : ""; },
        outputLabels: function (i) { return this._(i === 0 ? "sensor-ingest.outputs.readings" : "sensor-ingest.outputs.rejects"); },
        oneditprepare: function () {
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
