(function () {
    var CORE = IotAiEditor.core.sim; // from src/core/sim (the build writes it)
    var LIMITS = CORE.limits;
    var V = IotAiEditor.valid;
    var say = IotAiEditor.say;
    var VALIDATORS = {
        devices: V.number({ integer: true, min: 1, max: LIMITS.devices }),
        interval: V.number({ integer: true, min: LIMITS.minInterval, max: LIMITS.maxInterval }),
        seed: V.number({ integer: true }),
        speed: V.all(V.number({ above: 0 }), V.number({ max: LIMITS.maxSpeed })),
        anomalies: V.number({ min: 0, max: 0.5 })
    };
    // SIM_BUDGET.readingsPerSecond in src/core/sim/config.ts: the runtime refuses a config past it at deploy.
    var READINGS_PER_SECOND = CORE.readingsPerSecond;
    var DEFAULTS = CORE.defaults;
    /** devices × speed × 1000 / interval, blanks read as their defaults; NaN while a field is not a number. */
    function readingsPerSecond(values) {
        var read = function (key) { var v = values[key]; return v === undefined || String(v).trim() === "" ? DEFAULTS[key] : Number(v); };
        return read("devices") * read("speed") * 1000 / read("interval");
    }
    function withinBudget(values) {
        var rate = readingsPerSecond(values);
        return !(rate > READINGS_PER_SECOND);
    }
    /** A validator of one of the three settings whose product is bounded, given the other two as saved. */
    function budgeted(key) {
        return function (v, opt) {
            var values = { devices: this.devices, interval: this.interval, speed: this.speed };
            values[key] = v;
            var result = VALIDATORS[key].call(this, v, opt);
            if (result !== true) { return result; }
            return withinBudget(values) ? true : say(this, "sensor-sim.budget.over", { rate: Math.round(readingsPerSecond(values) * 10) / 10, budget: READINGS_PER_SECOND });
        };
    }
    var RATE_KEYS = ["devices", "interval", "speed"];
    // The numeric properties are edited in inputs Node-RED does not read itself, so that they are saved as numbers.
    var NUMERIC = ["devices", "interval", "seed", "speed", "anomalies"];
    function validStart(v, opt) {
        if (v === undefined || v === "" || (typeof v === "number" && v >= 0)) { return true; }
        var text = String(v).trim();
        return /^\d+$/.test(text) || (/^\d{4}-\d{2}-\d{2}/.test(text) && isFinite(Date.parse(text))) ? true : say(this, "sensor-sim.validation.startTime");
    }
    IotAiEditor.register("sensor-sim", {
        color: "#A6BBCF",
        defaults: {
            scenario: { value: CORE.scenarios[0], validate: V.choice(CORE.scenarios) },
            devices: { value: DEFAULTS.devices, validate: budgeted("devices") },
            interval: { value: DEFAULTS.interval, validate: budgeted("interval") },
            seed: { value: DEFAULTS.seed, validate: VALIDATORS.seed },
            speed: { value: DEFAULTS.speed, validate: budgeted("speed") },
            format: { value: DEFAULTS.format, validate: V.choice(CORE.formats) },
            startTime: { value: "", validate: validStart },
            autostart: { value: true },
            faults: { value: true },
            anomalies: { value: 0, validate: VALIDATORS.anomalies },
            people: { value: false }
        },
        inputs: 1,
        outputs: 1,
        icon: "iot-ai-sim.svg",
        paletteLabel: "simulator",
        label: function () { return this.name || (this.scenario || "home") + " sim"; },
        inputLabels: function () { return this._("sensor-sim.inputs.control"); },
        outputLabels: function () { return this._("sensor-sim.outputs.readings"); },
        oneditprepare: function () {
            var node = this;
            function budget() {
                var values = {};
                RATE_KEYS.forEach(function (key) { values[key] = $("#node-input-sim-" + key).val(); });
                var rate = readingsPerSecond(values);
                var over = rate > READINGS_PER_SECOND;
                RATE_KEYS.forEach(function (key) {
                    var input = $("#node-input-sim-" + key);
                    input.toggleClass("input-error", VALIDATORS[key].call(node, input.val()) !== true || over);
                });
                $("#node-input-sim-rate")
                    .text(isFinite(rate) ? node._(over ? "sensor-sim.budget.over" : "sensor-sim.budget.rate", { rate: Math.round(rate * 10) / 10, budget: READINGS_PER_SECOND }) : "")
                    .toggleClass("input-error", over)
                    .css("color", over ? "var(--red-ui-text-color-error, #c00)" : "");
            }
            NUMERIC.forEach(function (key) {
                var input = $("#node-input-sim-" + key);
                input.val(node[key] === undefined ? "" : node[key]);
                input.on("change keyup input", function () {
                    if (RATE_KEYS.indexOf(key) === -1) { input.toggleClass("input-error", VALIDATORS[key].call(node, input.val()) !== true); } else { budget(); }
                }).trigger("change");
            });
            function preview() {
                var scenario = $("#node-input-scenario").val();
                var n = Math.max(0, Math.min(LIMITS.devices, Math.floor(Number($("#node-input-sim-devices").val()) || 0)));
                var ids = CORE.deviceIds[scenario] || [];
                var names = ids.slice(0, n);
                $("#node-input-sim-device-names").text(names.join(", ") + (n > ids.length ? ", …" : ""));
            }
            $("#node-input-scenario, #node-input-sim-devices").on("change keyup input", preview);
            preview();
            IotAiEditor.validation.live(node);
        },
        oneditsave: function () {
            var node = this;
            NUMERIC.forEach(function (key) {
                var text = String($("#node-input-sim-" + key).val()).trim();
                node[key] = text !== "" && isFinite(Number(text)) ? Number(text) : text;
            });
        }
    });
})();
