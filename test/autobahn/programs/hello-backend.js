/* eslint-disable -- kept exactly as Autobahn|JS users write it (their style, not this repo's) */
// The classic Autobahn|JS "hello world" backend. Only the import differs from Autobahn|JS:
// import autobahn from "autobahn"
import autobahn from "../../../src/node/autobahn/index.js";

var connection = new autobahn.Connection({
   url: process.env.WAMP_URL || "ws://127.0.0.1:8080/ws",
   realm: "realm1"
});

connection.onopen = function (session) {

   // 1) subscribe to a topic
   function onhello (args) {
      console.log("event for 'onhello' received: " + args[0]);
   }
   session.subscribe('com.example.onhello', onhello).then(
      function (sub) {
         console.log("subscribed to topic 'onhello'");
      },
      function (err) {
         console.log("failed to subscribe to topic", err);
      }
   );

   // 2) register a procedure for remoting
   function add2 (args) {
      var x = args[0];
      var y = args[1];
      console.log("add2() called with " + x + " and " + y);
      return x + y;
   }
   session.register('com.example.add2', add2).then(
      function (reg) {
         console.log("procedure add2() registered");
      },
      function (err) {
         console.log("failed to register procedure", err);
      }
   );

   // 3) publish an event every so often
   var counter = 0;
   setInterval(function () {
      session.publish('com.example.oncounter', [counter]);
      console.log("published to 'oncounter' with counter " + counter);
      counter += 1;
   }, 200);
};

connection.open();
