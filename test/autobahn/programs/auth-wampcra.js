/* eslint-disable -- kept exactly as Autobahn|JS users write it (their style, not this repo's) */
// WAMP-CRA authentication with onchallenge, as in Autobahn|JS's examples. Only the import differs:
// import autobahn from "autobahn"
import autobahn from "../../../src/node/autobahn/index.js";

var user = "alice";
var key = "s3cret";

function onchallenge (session, method, extra) {
   console.log("onchallenge", method);
   if (method === "wampcra") {
      console.log("authenticating via '" + method + "' and challenge '" + extra.challenge + "'");
      return autobahn.auth_cra.sign(key, extra.challenge);
   } else {
      throw "don't know how to authenticate using '" + method + "'";
   }
}

var connection = new autobahn.Connection({
   url: process.env.WAMP_URL || "ws://127.0.0.1:8080/ws",
   realm: "secure",
   authmethods: ["wampcra"],
   authid: user,
   onchallenge: onchallenge
});

connection.onopen = function (session, details) {
   console.log("connected session with ID " + session.id);
   console.log("authenticated using method '" + details.authmethod + "' and provider '" + details.authprovider + "'");
   console.log("authenticated with authid '" + details.authid + "' and authrole '" + details.authrole + "'");
   connection.close();
};

connection.onclose = function (reason, details) {
   console.log("disconnected", reason, details.reason);
};

connection.open();
