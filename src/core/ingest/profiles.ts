/**
 * Device profiles of sensor-ingest (docs/nodes/sensor-ingest.md, "Profiles"; docs/devices.md): one choice fills the
 * settings an ecosystem's payloads need. Each setting is still the node's own property: a value saved in the flow
 * wins over the profile's.
 */
export type IngestProfileName = 'generic' | 'tasmota' | 'zigbee2mqtt' | 'shelly' | 'esphome' | 'homeassistant' | 'ttn' | 'lwm2m';
export const INGEST_PROFILES: readonly IngestProfileName[] = ['generic', 'tasmota', 'zigbee2mqtt', 'shelly', 'esphome', 'homeassistant', 'ttn', 'lwm2m'];

/** The settings a profile fills, as the node's properties spell them (text, as the dialog holds them). */
export interface ProfileSettings {
  topicPattern: string;
  deviceFrom: 'payload' | 'topic';
  deviceIdField: string;
  tsField: string;
  valuesField: string;
  exclude: string;
  include: string;
  units: string;
  stateWords: string;
  lwm2mNames: boolean;
}

const GENERIC: ProfileSettings = {
  topicPattern: '',
  deviceFrom: 'payload',
  deviceIdField: 'deviceId',
  tsField: 'ts',
  valuesField: '',
  exclude: '',
  include: '',
  units: '',
  stateWords: '',
  lwm2mNames: false,
};

export const PROFILE_SETTINGS: Record<IngestProfileName, ProfileSettings> = {
  generic: GENERIC,
  // tele/<topic>/SENSOR and tele/<topic>/STATE; Time is the device's local time without an offset.
  tasmota: {
    ...GENERIC,
    topicPattern: 'tele/{deviceId}/+',
    deviceFrom: 'topic',
    tsField: 'Time',
    exclude: 'Heap, UptimeSec, Sleep, LoadAvg, MqttCount, Wifi, Berry',
    units: 'Temperature=$TempUnit, DewPoint=$TempUnit, Humidity=%RH, Pressure=$PressureUnit, SeaPressure=$PressureUnit, Illuminance=lx, CarbonDioxide=ppm, eCO2=ppm, Vcc=V, ENERGY.Total=kWh, ENERGY.Yesterday=kWh, ENERGY.Today=kWh, ENERGY.Period=Wh, ENERGY.Power=W, ENERGY.ApparentPower=VA, ENERGY.ReactivePower=var, ENERGY.Voltage=V, ENERGY.Current=A',
  },
  // zigbee2mqtt/<friendly name>, where the name may span levels (kitchen/floor_light).
  zigbee2mqtt: {
    ...GENERIC,
    topicPattern: 'zigbee2mqtt/{deviceId#}',
    deviceFrom: 'topic',
    tsField: 'last_seen',
    exclude: 'battery, battery_low, linkquality, voltage, update, update_available',
    units: 'temperature=Cel, humidity=%RH, pressure=hPa, illuminance_lux=lx, co2=ppm, power=W, energy=kWh, current=A',
  },
  // Gen2/Gen3: <id>/events/rpc carries NotifyStatus ({src, params: {ts, "switch:0": {...}}}); <id>/status/<component>.
  shelly: {
    ...GENERIC,
    topicPattern: '{deviceId}/status/{prefix}',
    deviceIdField: 'src',
    tsField: 'params.ts',
    valuesField: 'params',
    exclude: 'id, voltage, minute_ts, tF, timer_started_at, timer_duration, sys, wifi, cloud, mqtt, ws, ble',
    units: 'apower=W, current=A, aenergy.total=Wh, ret_aenergy.total=Wh, tC=Cel, freq=Hz',
  },
  // <node name>/<component type>/<object id>/state: a bare value, ON/OFF, or a light's JSON.
  esphome: { ...GENERIC, topicPattern: '{deviceId}/+/{prefix}/state', deviceFrom: 'topic' },
  // mqtt_statestream: <base_topic>/<domain>/<object id>/<state or attribute>.
  homeassistant: {
    ...GENERIC,
    topicPattern: 'homeassistant/+/{deviceId}/{prefix}',
    deviceFrom: 'topic',
    exclude: 'friendly_name, unit_of_measurement, device_class, state_class, icon, last_changed, last_updated, supported_features',
  },
  // The Things Stack v3 MQTT: v3/<app>@<tenant>/devices/<device>/up.
  ttn: {
    ...GENERIC,
    topicPattern: 'v3/+/devices/{deviceId}/up',
    deviceIdField: 'end_device_ids.device_id',
    tsField: 'received_at',
    valuesField: 'uplink_message.decoded_payload',
  },
  // SenML JSON or CBOR from an LwM2M server: names are object paths (/3303/0/5700), the device is the endpoint.
  lwm2m: { ...GENERIC, topicPattern: 'lwm2m/{deviceId}/#', deviceFrom: 'topic', lwm2mNames: true },
};

/** IPSO objects whose instances are named in words (`3303/0/5700` → `temperature`); unit when the object fixes one. */
export const IPSO_OBJECTS: Record<string, { name: string; unit?: string }> = {
  '3200': { name: 'digital_input' },
  '3201': { name: 'digital_output' },
  '3202': { name: 'analog_input' },
  '3300': { name: 'generic' },
  '3301': { name: 'illuminance', unit: 'lx' },
  '3302': { name: 'presence' },
  '3303': { name: 'temperature', unit: 'Cel' },
  '3304': { name: 'humidity', unit: '%RH' },
  '3305': { name: 'power_measurement' },
  '3311': { name: 'light_control' },
  '3312': { name: 'power_control' },
  '3315': { name: 'barometer' },
  '3316': { name: 'voltage', unit: 'V' },
  '3317': { name: 'current', unit: 'A' },
  '3323': { name: 'pressure' },
  '3325': { name: 'concentration' },
  '3328': { name: 'power', unit: 'W' },
  '3331': { name: 'energy' },
  '3342': { name: 'on_off_switch' },
};

/** The resources that hold an IPSO object's main value: Sensor Value, Digital Input State, On/Off. */
export const IPSO_VALUE_RESOURCES = new Set(['5700', '5500', '5850', '5547']);
