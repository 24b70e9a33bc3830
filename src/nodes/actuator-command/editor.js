(function () {
    var NUMBER_FIELDS = ["hysteresis", "minConfidence", "cooldown", "ackTimeout", "retries"];
    function numberOrBlank(v) { return v === "" || v === undefined || (isFinite(Number(v)) && Number(v) >= 0); }
    function jsonOrBlank(v) {
        if (v === undefined || v === "" || typeof v === "object") { return true; }
        try { JSON.parse(v); return true; } catch (e) { return false; }
    }
    function validRules(rules) {
        if (!Array.isArray(rules) || rules.length === 0) { return false; }
        return rules.every(function (r) {
            var matches = (r.label !== undefined && r.label !== "") || typeof r.above === "number" || typeof r.below === "number";
            return matches && r.command !== undefined && r.command !== "";
        });
    }
    RED.nodes.registerType("actuator-command", {
        category: "IoT AI",
        color: "#E2D96E",
        defaults: {
            name: { value: "" },
            rules: { value: [{ label: "on", command: { state: "ON" } }, { label: "off", command: { state: "OFF" } }], validate: validRules },
            topic: { value: "{deviceId}/set" },
            hysteresis: { value: 0, validate: numberOrBlank },
            minConfidence: { value: 0, validate: function (v) { return numberOrBlank(v) && (v === "" || v === undefined || Number(v) <= 1); } },
            cooldown: { value: 0, validate: numberOrBlank },
            onChangeOnly: { value: false },
            limits: { value: "", validate: jsonOrBlank },
            limitMode: { value: "clamp" },
            commandSchema: { value: "", validate: jsonOrBlank },
            ack: { value: "none" },
            ackTimeout: { value: 5000, validate: numberOrBlank },
            retries: { value: 0, validate: function (v) { return numberOrBlank(v) && (v === "" || v === undefined || Number(v) <= 10); } },
            replyTopic: { value: "{topic}/reply" },
            persist: { value: "" }
        },
        inputs: 1,
        outputs: 2,
        icon: "iot-ai-actuator.svg",
        align: "right",
        paletteLabel: "actuator command",
        label: function () { return this.name || "actuator command"; },
        labelStyle: function () { return this.name ? "node_label_italic" : ""; },
        outputLabels: function (i) { return this._(i === 0 ? "actuator-command.outputs.commands" : "actuator-command.outputs.outcomes"); },
        oneditprepare: function () {
            IotAiEditor.numbers.prepare(this, NUMBER_FIELDS);
            var node = this;
            $("#node-input-rules-container").css("min-height", "150px").css("min-width", "450px").editableList({
                addItem: function (row, index, rule) {
                    rule = rule || {};
                    var kind = rule.above !== undefined ? "above" : rule.below !== undefined ? "below" : "label";
                    var match = kind === "label" ? (rule.label === undefined ? "" : rule.label) : rule[kind];
                    var command = rule.command === undefined ? "" : (typeof rule.command === "string" ? rule.command : JSON.stringify(rule.command));
                    var select = $('<select class="rule-kind" style="width: 95px"></select>');
                    ["label", "above", "below"].forEach(function (k) { select.append($("<option>").val(k).text(node._("actuator-command.rule." + k))); });
                    select.val(kind);
                    var value = $('<input type="text" class="rule-match" style="width: 80px; margin-left: 4px">').val(match);
                    var cmd = $('<input type="text" class="rule-command" style="width: 38%; margin-left: 4px; font-family: monospace">')
                        .attr("placeholder", node._("actuator-command.placeholder.command")).val(command);
                    var topic = $('<input type="text" class="rule-topic" style="width: 20%; margin-left: 4px">')
                        .attr("placeholder", node._("actuator-command.placeholder.ruleTopic")).val(rule.topic || "");
                    row.append(select, value, cmd, topic);
                },
                removable: true,
                sortable: true
            });
            (node.rules || []).forEach(function (rule) { $("#node-input-rules-container").editableList("addItem", rule); });
            var persist = $("#node-input-persist");
            persist.append($("<option>").val("").text(node._("actuator-command.persist.off")));
            var stores = (RED.settings.context && RED.settings.context.stores) || [];
            stores.forEach(function (s) { persist.append($("<option>").val(s).text(s)); });
            if (node.persist && stores.indexOf(node.persist) === -1) { persist.append($("<option>").val(node.persist).text(node.persist)); }
            persist.val(node.persist || "");
            if (typeof node.limits === "object" && node.limits !== null) { $("#node-input-limits").val(JSON.stringify(node.limits)); }
            if (typeof node.commandSchema === "object" && node.commandSchema !== null) { $("#node-input-commandSchema").val(JSON.stringify(node.commandSchema)); }
            function refresh() {
                var ack = $("#node-input-ack").val();
                $(".iot-ai-ack-row").toggle(ack !== "none");
                $(".iot-ai-reply-row").toggle(ack === "payload" || ack === "mqtt5");
            }
            $("#node-input-ack").on("change", refresh);
            refresh();
        },
        oneditsave: function () {
            IotAiEditor.numbers.save(this, NUMBER_FIELDS);
            var rules = [];
            $("#node-input-rules-container").editableList("items").each(function () {
                var row = $(this);
                var kind = row.find(".rule-kind").val();
                var match = row.find(".rule-match").val().trim();
                var commandText = row.find(".rule-command").val().trim();
                var topic = row.find(".rule-topic").val().trim();
                if (match === "" && commandText === "") { return; }
                var rule = {};
                if (kind === "label") { rule.label = match; } else { rule[kind] = match === "" || !isFinite(Number(match)) ? match : Number(match); }
                var command = commandText;
                if (/^[\[{]/.test(commandText)) { try { command = JSON.parse(commandText); } catch (e) { command = commandText; } }
                rule.command = command;
                if (topic) { rule.topic = topic; }
                rules.push(rule);
            });
            this.rules = rules;
        },
        oneditresize: function (size) {
            var rows = $("#dialog-form>div:not(.node-input-rules-container-row)");
            var height = size.height;
            for (var i = 0; i < rows.length; i++) { height -= $(rows[i]).outerHeight(true); }
            $("#node-input-rules-container").editableList("height", Math.max(150, height - 30));
        }
    });
})();
