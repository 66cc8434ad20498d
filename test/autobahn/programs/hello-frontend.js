/* eslint-disable -- kept exactly as Autobahn|JS users write it (their style, not this repo's) */
// The classic Autobahn|JS "hello world" frontend. Only the import differs from Autobahn|JS:
// import autobahn from "autobahn"
import autobahn from "../../../src/node/autobahn/index.js";

var connection = new autobahn.Connection({
   url: process.env.WAMP_URL || "ws://127.0.0.1:8080/ws",
   realm: "realm1"
});

connection.onopen = function (session) {

   var gotEvent = false;
   var gotResult = false;
   function done () {
      if (gotEvent && gotResult) {
         connection.close();
      }
   }

   // 1) subscribe to a topic
   function oncounter (args) {
      console.log("event for 'oncounter' received: " + args[0]);
      gotEvent = true;
      done();
   }
   session.subscribe('com.example.oncounter', oncounter);

   // 2) publish an event
   session.publish('com.example.onhello', ['Hello from JavaScript (browser)']);

   // 3) call a remote procedure
   session.call('com.example.add2', [2, 3]).then(
      function (res) {
         console.log("Result:", res);
         gotResult = true;
         done();
      },
      function (err) {
         console.log("Error:", err.error);
         connection.close();
      }
   );
};

connection.onclose = function (reason, details) {
   console.log("Connection closed:", reason, details.reason);
};

connection.open();
